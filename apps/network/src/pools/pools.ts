import { randomUUID } from 'node:crypto';
import { AppError, type EventMetadata, formatPrefix, type PoolInput, type PoolView } from '#libs/contracts';
import { handleCommand, isExclusionViolation, type EventStore } from '#libs/event-store';
import type { ServiceClient } from '#libs/messaging';
import { createdOf, validatePool } from './pool.js';
import { poolDecider, poolStreamId } from './pool.decider.js';
import type { PoolsRepository } from './pools.repository.js';

/** How long network waits for compute to hear from the region's hosts (compute gives each of them 3 s). */
const HOST_CHECK_TIMEOUT_MS = 5000;

/** The admin's pools: create, list, retire. Retired pools hand out nothing new; their addresses stay until released. */
export class Pools {
  constructor(
    private readonly store: EventStore,
    private readonly repository: PoolsRepository,
    private readonly client: ServiceClient,
  ) {}

  /**
   * Checked against the other pools first, then against what the region's live hosts use (compute
   * asks them; no connection of network's is held meanwhile), then recorded: IpPoolCreated.
   */
  async create(input: PoolInput, metadata: EventMetadata): Promise<PoolView> {
    const pool = validatePool({ ...input, id: input?.id ?? randomUUID() }, await this.repository.all());
    const prefix = formatPrefix(pool.prefix);
    const { overlaps } = await this.client.call('compute.region.checkPrefix', { regionId: pool.regionId, prefix, bridge: pool.bridge }, HOST_CHECK_TIMEOUT_MS);
    try {
      await handleCommand(this.store, poolStreamId(pool.id), poolDecider, { type: 'CreatePool', pool: createdOf(pool), hostOverlaps: overlaps }, metadata);
    } catch (error) {
      // The table's exclusion constraint catches the overlap of two pools created at once, which validation could not see.
      if (isExclusionViolation(error)) throw AppError.badInput('input.prefix', `${prefix} overlaps a pool created just now`);
      throw error;
    }
    return this.view(pool.id);
  }

  async retire(id: unknown, metadata: EventMetadata): Promise<PoolView> {
    if (typeof id !== 'string' || !id) throw AppError.badInput('id', 'is required');
    await handleCommand(this.store, poolStreamId(id), poolDecider, { type: 'RetirePool', poolId: id }, metadata);
    return this.view(id);
  }

  list(filter: { regionId?: string; includeRetired?: boolean }): Promise<PoolView[]> {
    return this.repository.views({ regionId: filter.regionId, includeRetired: filter.includeRetired });
  }

  private async view(id: string): Promise<PoolView> {
    return (await this.repository.views({ includeRetired: true, id }))[0];
  }
}
