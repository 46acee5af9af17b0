import { AppError, type EventEnvelope, type EventMetadata, type ImageImportRequest, SYSTEM_ACTOR } from '#libs/contracts';
import { handleCommand, readState, type EventStore } from '#libs/event-store';
import type { ServiceClient } from '#libs/messaging';
import type { Hosts } from '../hosts/hosts.js';
import { canImport } from './catalog.js';
import { imageDecider, imageStatus, type ImageCommand } from './image.decider.js';

/** The events the importer acts on. */
export const IMPORTED_EVENT_TYPES = ['ImageRegistered'] as const;

export interface ImageImporterOptions {
  /** How long an agent may take to fetch and check an image before it is asked again (the import is idempotent per image). */
  agentTimeoutMs: number;
  /** How long after registration an image waits for a host of a region to answer; then it is ERROR, unreachable. */
  giveUpAfterMs: number;
}

export const IMAGE_IMPORT_DEFAULTS: ImageImporterOptions = { agentTimeoutMs: 30 * 60_000, giveUpAfterMs: 60 * 60_000 };

/**
 * Carries a registered image into the image storage of each region it goes to: asks an UP host
 * of the region (`image.import`), and records its answer, the stored image or its refusal, on
 * the image's stream. A host that is away, or a region with none up, is asked again with the
 * consumer's backoff until `giveUpAfterMs`; an answer counts once per region, so a repeated
 * delivery changes nothing.
 */
export class ImageImporter {
  constructor(
    private readonly store: EventStore,
    private readonly hosts: Hosts,
    private readonly client: ServiceClient,
    private readonly options: ImageImporterOptions = IMAGE_IMPORT_DEFAULTS,
  ) {}

  async handle(event: EventEnvelope): Promise<void> {
    const { state } = await readState(this.store, event.streamId, imageDecider);
    if (!state.image?.source || !state.image.sha256 || imageStatus(state) !== 'IMPORTING') return; // imported, failed or retired since
    const { imageId, kind, source, sha256 } = state.image;
    const metadata: EventMetadata = { correlationId: event.metadata.correlationId, causationId: event.eventId, actor: SYSTEM_ACTOR };
    const overdue = Date.now() - Date.parse(event.occurredAt) > this.options.giveUpAfterMs;
    for (const regionId of state.pending) {
      const answer = await this.importInto(regionId, { imageId, kind, source, sha256 }, overdue);
      await handleCommand(this.store, event.streamId, imageDecider, answer, metadata);
    }
  }

  private async importInto(regionId: string, request: ImageImportRequest, overdue: boolean): Promise<ImageCommand> {
    const up = (await this.hosts.list()).filter((host) => host.regionId === regionId && canImport(host, request.kind));
    // Any of them: they share the region's image storage. A retry may find another.
    const hostId = up[Math.floor(Math.random() * up.length)]?.id;
    const failed = (hostId: string | null, reason: string): ImageCommand => ({ type: 'FailImport', imageId: request.imageId, regionId, hostId, reason });
    if (!hostId) {
      if (overdue) return failed(null, 'unreachable: no host was up to import it');
      throw AppError.unavailable(`no UP host in region ${regionId} to import image ${request.imageId}`);
    }
    try {
      const imported = await this.client.callAgent(hostId, 'image.import', request, this.options.agentTimeoutMs);
      return {
        type: 'RecordImport', imageId: request.imageId, regionId, hostId, location: imported.location, sizeMb: imported.sizeMb, virtualSizeMb: imported.virtualSizeMb,
      };
    } catch (error) {
      if (!(error instanceof AppError)) throw error;
      // Away or slow: asked again after a backoff, until the image has waited too long.
      if (error.code === 'UNAVAILABLE' && !overdue) throw error;
      return failed(hostId, error.code === 'UNAVAILABLE' ? `unreachable: host ${hostId} did not answer` : error.message);
    }
  }
}
