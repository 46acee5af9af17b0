import { Controller } from '@nestjs/common';
import { MessagePattern, Payload } from '@nestjs/microservices';
import { Pools } from './pools.js';
import type { PoolInput } from './pool.js';

/** `network.pool.*`: the admin's pools. The gateway lets only ADMIN through. */
@Controller()
export class PoolsController {
  constructor(private readonly pools: Pools) {}

  @MessagePattern('network.pool.create')
  create(@Payload() payload: { input: PoolInput }) {
    return this.pools.create(payload?.input);
  }

  @MessagePattern('network.pool.list')
  list(@Payload() payload: { regionId?: string; includeRetired?: boolean }) {
    return this.pools.list({ regionId: payload?.regionId, includeRetired: payload?.includeRetired });
  }

  @MessagePattern('network.pool.retire')
  retire(@Payload() payload: { id: string }) {
    return this.pools.retire(payload?.id);
  }
}
