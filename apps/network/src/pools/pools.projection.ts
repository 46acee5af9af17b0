import type { Projection } from '#libs/event-store';
import { excludedUnits, poolOfCreated } from './pool.js';
import { POOL_EVENT_TYPES, type PoolEvent } from './pool.decider.js';

/**
 * `pools`, and the lease rows that keep each pool's excluded units (network, gateway, broadcast,
 * reserved) out of allocation, written in the append's transaction. Its exclusion constraint is the
 * backstop behind the service's overlap check: the append of a pool overlapping one created just
 * now fails with it.
 */
export const poolsProjection: Projection = {
  name: 'pools',
  eventTypes: POOL_EVENT_TYPES,
  async apply(tx, recorded) {
    const event = recorded as unknown as PoolEvent;
    switch (event.type) {
      case 'IpPoolCreated': {
        const d = event.data;
        await tx.query(
          `INSERT INTO pools (id, region_id, family, prefix, gateway, assignment_length, reserved, bridge, created_at) VALUES ($1, $2, $3, $4, $5, $6, $7, $8, $9)`,
          [d.poolId, d.regionId, d.family, d.prefix, d.gateway, d.assignmentLength, d.reserved, d.bridge, recorded.occurredAt],
        );
        await tx.query('INSERT INTO ip_leases (pool_id, unit) SELECT $1, unnest($2::numeric[])', [d.poolId, excludedUnits(poolOfCreated(d)).map(String)]);
        return;
      }
      case 'IpPoolRetired':
        await tx.query('UPDATE pools SET retired_at = $2 WHERE id = $1', [event.data.poolId, recorded.occurredAt]);
        return;
    }
  },
  async clear(tx) {
    // Addresses and their leases name their pools: those references are checked at the commit, once every pool is back.
    await tx.query('SET CONSTRAINTS ip_leases_pool_id_fkey, ip_addresses_pool_id_fkey DEFERRED');
    await tx.query('DELETE FROM ip_leases WHERE ip_id IS NULL');
    await tx.query('DELETE FROM pools');
  },
};
