import { AppError, type ImageStatus, type InstanceKind, type RegisterImageInput } from '#libs/contracts';
import type { Decider, DomainEvent } from '#libs/event-store';
import * as input from './catalog-input.js';

interface ImageDescription {
  imageId: string;
  name: string;
  os: string;
  version: string;
  kind: InstanceKind;
}

export type ImageEvent =
  /** Registered for import into `regionIds`, the regions that had an UP host to fetch it: IMPORTING. */
  | DomainEvent<'ImageRegistered', ImageDescription & { source: string; sha256: string; regionIds: string[] }>
  /**
   * An image of the catalog from before imports (migration 0104): a development image each agent
   * builds (`dev:<name>`), or a file an operator put on the hosts, used where it is.
   */
  | DomainEvent<'ImageRecorded', ImageDescription & { location: string }>
  /** A host of the region fetched and checked it, and stored it where the region's hosts find it. */
  | DomainEvent<'ImageImported', { imageId: string; regionId: string; hostId: string; location: string; sizeMb: number; virtualSizeMb: number | null }>
  | DomainEvent<'ImageImportFailed', { imageId: string; regionId: string; hostId: string | null; reason: string }>
  | DomainEvent<'ImageRetired', { imageId: string }>;

export type ImageCommand =
  | { type: 'RegisterImage'; input: Partial<Record<keyof RegisterImageInput, unknown>>; regionIds: string[] }
  | { type: 'RecordImport'; imageId: string; regionId: string; hostId: string; location: string; sizeMb: number; virtualSizeMb: number | null }
  | { type: 'FailImport'; imageId: string; regionId: string; hostId: string | null; reason: string }
  | { type: 'RetireImage'; imageId: string };

export interface ImageState {
  image: (ImageDescription & { source: string | null; sha256: string | null }) | null;
  /** Regions still to import it. */
  pending: string[];
  failure: string | null;
  retired: boolean;
}

export const imageStreamId = (imageId: string) => `image-${imageId}`;

/** An ERROR image's reason: the first region's refusal, naming the region. */
export const importFailure = (failed: { regionId: string; reason: string }) => `${failed.reason} (region ${failed.regionId})`;

export function imageStatus(state: ImageState): ImageStatus {
  if (state.retired) return 'RETIRED';
  if (state.failure !== null) return 'ERROR';
  return state.pending.length > 0 ? 'IMPORTING' : 'AVAILABLE';
}

/**
 * An image: registered, imported by a host of each region it goes to (checksum and format
 * checked there), then AVAILABLE; a region that refuses it makes it ERROR with the reason. An
 * import's answer counts once per region, so a repeated or late one changes nothing. Retired, it
 * stays with its instances and is offered for no new one.
 */
export const imageDecider: Decider<ImageCommand, ImageState, ImageEvent> = {
  initialState: () => ({ image: null, pending: [], failure: null, retired: false }),

  decide(command, state) {
    switch (command.type) {
      case 'RegisterImage': {
        const { input: given } = command;
        const registered = {
          imageId: input.catalogId(given.id),
          name: input.text(given.name, 'input.name'),
          os: input.text(given.os, 'input.os'),
          version: input.text(given.version, 'input.version'),
          kind: input.kind(given.kind),
          source: input.imageSource(given.source),
          sha256: input.sha256(given.sha256),
        };
        if (state.image) throw AppError.conflict(`an image ${registered.imageId} exists already: register the new file under a new id`);
        if (command.regionIds.length === 0) throw AppError.conflict(`no region has an UP host running ${registered.kind} instances to import the image: a host must be up first`);
        return [{ type: 'ImageRegistered', data: { ...registered, regionIds: [...command.regionIds].sort() } }];
      }
      case 'RecordImport': {
        if (!state.pending.includes(command.regionId)) return [];
        const { type: _type, ...imported } = command;
        return [{ type: 'ImageImported', data: imported }];
      }
      case 'FailImport': {
        if (!state.pending.includes(command.regionId)) return [];
        const { type: _type, ...failed } = command;
        return [{ type: 'ImageImportFailed', data: failed }];
      }
      case 'RetireImage':
        if (!state.image) throw AppError.notFound(`image ${command.imageId}`);
        return state.retired ? [] : [{ type: 'ImageRetired', data: { imageId: command.imageId } }];
    }
  },

  evolve(state, event) {
    switch (event.type) {
      case 'ImageRegistered': {
        const { regionIds, ...image } = event.data;
        return { ...state, image, pending: regionIds };
      }
      case 'ImageRecorded': {
        const { location: _location, ...image } = event.data;
        return { ...state, image: { ...image, source: null, sha256: null } };
      }
      case 'ImageImported':
        return { ...state, pending: state.pending.filter((region) => region !== event.data.regionId) };
      case 'ImageImportFailed':
        return {
          ...state,
          pending: state.pending.filter((region) => region !== event.data.regionId),
          failure: state.failure ?? importFailure(event.data),
        };
      case 'ImageRetired':
        return { ...state, retired: true };
    }
  },
};
