import { AppError, type PoolEvents } from '#libs/contracts';
import type { Decider, DomainEvent } from '#libs/event-store';

export type PoolEvent = DomainEvent<'IpPoolCreated', PoolEvents['IpPoolCreated']> | DomainEvent<'IpPoolRetired', PoolEvents['IpPoolRetired']>;

export const POOL_EVENT_TYPES: readonly PoolEvent['type'][] = ['IpPoolCreated', 'IpPoolRetired'];

/** Where a live host of the pool's region said the pool's prefix overlaps what it uses (a route, an address). */
export interface HostOverlap {
  hostId: string;
  overlap: string;
}

export type PoolCommand =
  /** A pool checked against the other pools (validatePool), with what the region's hosts said of its prefix. */
  | { type: 'CreatePool'; pool: PoolEvents['IpPoolCreated']; hostOverlaps: readonly HostOverlap[] }
  | { type: 'RetirePool'; poolId: string };

export interface PoolState {
  poolId: string | null;
  retired: boolean;
}

export const poolStreamId = (poolId: string) => `pool-${poolId}`;

/**
 * A pool from creation to retirement. It is created only where no host of its region already
 * uses its prefix: a bridge holding its gateway would take the host's own traffic for that range.
 * Retired, it hands out nothing new, and its addresses stay until released.
 */
export const poolDecider: Decider<PoolCommand, PoolState, PoolEvent> = {
  initialState: () => ({ poolId: null, retired: false }),

  decide(command, state) {
    switch (command.type) {
      case 'CreatePool': {
        const { pool, hostOverlaps } = command;
        if (state.poolId !== null) throw AppError.conflict(`pool ${pool.poolId} exists`);
        if (hostOverlaps.length > 0) {
          const where = hostOverlaps.map((o) => `on host ${o.hostId}, ${o.overlap}`).join('; ');
          throw AppError.badInput('input.prefix', `${where}: give the pool a prefix the hosts of region ${pool.regionId} do not use`);
        }
        return [{ type: 'IpPoolCreated', data: pool }];
      }
      case 'RetirePool':
        if (state.poolId === null) throw AppError.notFound(`pool ${command.poolId}`);
        return state.retired ? [] : [{ type: 'IpPoolRetired', data: { poolId: state.poolId } }];
    }
  },

  evolve(state, event) {
    switch (event.type) {
      case 'IpPoolCreated':
        return { poolId: event.data.poolId, retired: false };
      case 'IpPoolRetired':
        return { ...state, retired: true };
    }
  },
};
