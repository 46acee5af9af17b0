import {
  AppError, type CreateInstanceInput, type CreateRegionInput, type EventMetadata, type HostView, type ImageLocation, type ImageView, type InstanceKind, type PlanPrice,
  type PlanView, type RegionView, type RegisterImageInput, type SavePlanInput,
} from '#libs/contracts';
import { handleCommand, type EventStore } from '#libs/event-store';
import type { Hosts } from '../hosts/hosts.js';
import type { CatalogRepository } from './catalog.repository.js';
import { imageDecider, imageStreamId } from './image.decider.js';
import { planDecider, planStreamId } from './plan.decider.js';
import { regionDecider, regionStreamId } from './region.decider.js';

const MB_PER_GB = 1024;

/** A host that can fetch and check an image of `kind`: up, and running that kind (a VM image needs qemu-img, a rootfs tar). */
export const canImport = (host: HostView, kind: unknown) => host.status === 'UP' && host.kinds.includes(kind as InstanceKind);

function kindFilter(kind: unknown): InstanceKind | null {
  if (kind === undefined || kind === null) return null;
  if (kind !== 'VM' && kind !== 'CONTAINER') throw AppError.badInput('kind', 'must be VM or CONTAINER');
  return kind;
}

/**
 * Regions, plans and images: what customers choose from, and where hosts find images. Every
 * change is an event of its region, plan or image (the deciders hold the rules); the tables
 * are their projection.
 */
export class Catalog {
  constructor(
    private readonly store: EventStore,
    private readonly catalog: CatalogRepository,
    private readonly hosts: Hosts,
  ) {}

  regions(): Promise<RegionView[]> {
    return this.catalog.regions();
  }

  /** The plans on offer; with `retired`, also those only existing instances still have (the gateway resolves an instance's plan). */
  plans(kind?: InstanceKind, retired = false): Promise<PlanView[]> {
    return this.catalog.plans(kindFilter(kind), retired === true);
  }

  /** The AVAILABLE images; with `retired`, every image whatever its status (instances keep theirs, ADMIN sees imports). */
  images(kind?: InstanceKind, retired = false): Promise<ImageView[]> {
    return this.catalog.images(kindFilter(kind), retired === true);
  }

  /** One plan by id, retired or not (instances keep what they were made with); null when unknown. */
  plan(id: string): Promise<PlanView | null> {
    return this.catalog.plan(id);
  }

  /** Where the hosts of a region find an image; null where it was not imported there. */
  imageLocation(imageId: string, regionId: string): Promise<ImageLocation | null> {
    return this.catalog.imageLocation(imageId, regionId);
  }

  /** A create's region, plan and image: known, offered, of the kind asked for, and the plan's disk large enough for the image. Returns the plan. */
  async choicesFor(input: Pick<CreateInstanceInput, 'regionId' | 'planId' | 'imageId' | 'kind'>): Promise<PlanView> {
    // Where the image is in the region asked along with the rest: a create's lookups are one round trip.
    const [region, plan, image, location] = await Promise.all([
      this.catalog.region(String(input.regionId)),
      this.catalog.plan(String(input.planId)),
      this.catalog.image(String(input.imageId)),
      this.catalog.imageLocation(String(input.imageId), String(input.regionId)),
    ]);
    if (!region) throw AppError.badInput('input.regionId', `no region ${input.regionId}`);
    if (!plan) throw AppError.badInput('input.planId', `no plan ${input.planId}`);
    if (plan.retired) throw AppError.badInput('input.planId', `plan ${plan.id} is retired: choose another`);
    if (plan.kind !== input.kind) throw AppError.badInput('input.planId', `${plan.id} is a ${plan.kind} plan, not ${input.kind}`);
    if (!image) throw AppError.badInput('input.imageId', `no image ${input.imageId}`);
    if (image.status !== 'AVAILABLE') throw AppError.badInput('input.imageId', `image ${image.id} is ${image.status}: only AVAILABLE images can be used`);
    if (image.kind !== input.kind) throw AppError.badInput('input.imageId', `${image.id} is a ${image.kind} image, not ${input.kind}`);
    if (!location) throw AppError.badInput('input.imageId', `image ${image.id} was not imported into region ${region.id}`);
    if (image.virtualSizeMb !== null && image.virtualSizeMb > plan.diskGb * MB_PER_GB) {
      throw AppError.badInput('input.planId', `plan ${plan.id}'s ${plan.diskGb} GB disk cannot hold image ${image.id} (${image.virtualSizeMb} MB): choose a larger plan`);
    }
    return plan;
  }

  async createRegion(input: CreateRegionInput, metadata: EventMetadata): Promise<RegionView> {
    const { events } = await handleCommand(this.store, regionStreamId(String(input?.id)), regionDecider, { type: 'CreateRegion', input: input ?? {} }, metadata);
    return (await this.catalog.region(events[0].data.regionId))!;
  }

  /** A new plan, or a new name or prices of one; the prices go to billing with its PlanSaved. */
  async savePlan(input: SavePlanInput, metadata: EventMetadata): Promise<PlanView & { prices: PlanPrice[] }> {
    const { state } = await handleCommand(this.store, planStreamId(String(input?.id)), planDecider, { type: 'SavePlan', input: input ?? {} }, metadata);
    return { ...(await this.catalog.plan(input.id))!, prices: state.plan!.prices };
  }

  async retirePlan(id: string, metadata: EventMetadata): Promise<PlanView> {
    await handleCommand(this.store, planStreamId(String(id)), planDecider, { type: 'RetirePlan', planId: String(id) }, metadata);
    return (await this.catalog.plan(id))!;
  }

  /** IMPORTING into each region with an UP host that runs its kind; the importer asks one such host of each to fetch and check it. */
  async registerImage(input: RegisterImageInput, metadata: EventMetadata): Promise<ImageView> {
    const regions = new Set((await this.catalog.regions()).map((region) => region.id));
    const importers = (await this.hosts.list()).filter((host) => canImport(host, input?.kind) && regions.has(host.regionId));
    const regionIds = [...new Set(importers.map((host) => host.regionId))];
    await handleCommand(this.store, imageStreamId(String(input?.id)), imageDecider, { type: 'RegisterImage', input: input ?? {}, regionIds }, metadata);
    return (await this.catalog.image(input.id))!;
  }

  async retireImage(id: string, metadata: EventMetadata): Promise<ImageView> {
    await handleCommand(this.store, imageStreamId(String(id)), imageDecider, { type: 'RetireImage', imageId: String(id) }, metadata);
    return (await this.catalog.image(id))!;
  }
}
