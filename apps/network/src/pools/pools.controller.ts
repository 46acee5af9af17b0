import { Controller } from '@nestjs/common';
import { Payload } from '@nestjs/microservices';
import { type EventMetadata, type PoolView, type RequestOf, SYSTEM_ACTOR } from '#libs/contracts';
import { Handles } from '#libs/messaging';
import { Pools } from './pools.js';

/** An operator's request without the gateway's metadata is the system's doing. */
const metadataOf = (payload: { metadata?: EventMetadata } | undefined, what: string): EventMetadata =>
  payload?.metadata ?? { correlationId: what, causationId: null, actor: SYSTEM_ACTOR };

/** `network.pool.*`: the admin's pools. The gateway lets only ADMIN through. */
@Controller()
export class PoolsController {
  constructor(private readonly pools: Pools) {}

  @Handles('network.pool.create')
  create(@Payload() payload: RequestOf<'network.pool.create'>): Promise<PoolView> {
    return this.pools.create(payload?.input, metadataOf(payload, 'pool-create'));
  }

  @Handles('network.pool.list')
  list(@Payload() payload: RequestOf<'network.pool.list'>): Promise<PoolView[]> {
    return this.pools.list({ regionId: payload?.regionId, includeRetired: payload?.includeRetired });
  }

  @Handles('network.pool.retire')
  retire(@Payload() payload: RequestOf<'network.pool.retire'>): Promise<PoolView> {
    return this.pools.retire(payload?.id, metadataOf(payload, `pool-retire-${payload?.id}`));
  }
}
