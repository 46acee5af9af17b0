import { Controller } from '@nestjs/common';
import { Payload } from '@nestjs/microservices';
import type { PoolView, RequestOf } from '#libs/contracts';
import { Handles } from '#libs/messaging';
import { Pools } from './pools.js';

/** `network.pool.*`: the admin's pools. The gateway lets only ADMIN through. */
@Controller()
export class PoolsController {
  constructor(private readonly pools: Pools) {}

  @Handles('network.pool.create')
  create(@Payload() payload: RequestOf<'network.pool.create'>): Promise<PoolView> {
    return this.pools.create(payload?.input);
  }

  @Handles('network.pool.list')
  list(@Payload() payload: RequestOf<'network.pool.list'>): Promise<PoolView[]> {
    return this.pools.list({ regionId: payload?.regionId, includeRetired: payload?.includeRetired });
  }

  @Handles('network.pool.retire')
  retire(@Payload() payload: RequestOf<'network.pool.retire'>): Promise<PoolView> {
    return this.pools.retire(payload?.id);
  }
}
