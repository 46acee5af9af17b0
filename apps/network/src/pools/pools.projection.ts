import type { Projection } from '#libs/event-store';
import { excludedUnits, isFreeListed, poolOfCreated, unitCount } from './pool.js';
import { POOL_EVENT_TYPES, type PoolEvent } from './pool.decider.js';

/**
 * `pools`, the lease rows that keep each pool's excluded units (network, gateway, broadcast,
 * reserved) out of allocation, and its free units' rows, written in the append's transaction. Its
 * exclusion constraint is the backstop behind the service's overlap check: the append of a pool
 * overlapping one created just now fails with it.
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
        const pool = poolOfCreated(d);
        await tx.query('INSERT INTO ip_leases (pool_id, unit) SELECT $1, unnest($2::numeric[])', [d.poolId, excludedUnits(pool).map(String)]);
        // Its free units: every unit without a lease, or (a rebuild keeps the addresses' leases) whose address was released.
        if (isFreeListed(pool)) {
          await tx.query(
            `INSERT INTO ip_free_units (pool_id, unit, released_at)
             SELECT $1, g.unit, l.released_at FROM generate_series(0, $2::integer - 1) AS g(unit)
             LEFT JOIN ip_leases l ON l.pool_id = $1 AND l.unit = g.unit
             WHERE l.unit IS NULL OR l.released_at IS NOT NULL`,
            [d.poolId, Number(unitCount(pool))],
          );
        }
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
    await tx.query('DELETE FROM ip_free_units');
    await tx.query('DELETE FROM pools');
  },
};
