import type { Projection } from '#libs/event-store';
import { parseAddress } from '#libs/contracts';
import { uncounted } from '../account-limits.js';
import { FREE_LISTED_SQL, unitOf } from '../pools/pool.js';
import { readPool } from '../pools/pools.repository.js';
import type { IpEvent } from './ip.decider.js';

export const IP_EVENT_TYPES: readonly IpEvent['type'][] = [
  'IpAllocated', 'IpAssigned', 'IpUnassigned', 'IpReleased', 'ReverseDnsSet', 'ReverseDnsCleared',
];

/**
 * `ip_addresses`: every address ever allocated, released ones kept for their history; the
 * leases they hold in `ip_leases`, and their units in `ip_free_units` once released. The allocator
 * claims a lease (and takes its unit's free row) before it appends IpAllocated, so here the lease
 * is already there; a rebuild takes the leases from the events alone.
 */
export const ipsProjection: Projection = {
  name: 'ip-addresses',
  eventTypes: IP_EVENT_TYPES,
  async apply(tx, recorded) {
    const event = recorded as unknown as IpEvent;
    const ipId = event.data.ipId;
    switch (event.type) {
      case 'IpAllocated': {
        const d = event.data;
        // Live, the allocator leased the unit to this address earlier in the transaction; a rebuild leases it here.
        const { rows } = await tx.query<{ leased: boolean }>(
          `WITH address AS (
             INSERT INTO ip_addresses (id, position, pool_id, address, family, prefix_length, gateway, region_id, account_id, instance_id, floating, allocated_at)
             VALUES ($1, $2, $3, $4, $5, $6, $7, $8, $9, $10, $11, $12))
           SELECT EXISTS (SELECT 1 FROM ip_leases WHERE ip_id = $1) AS leased`,
          [ipId, recorded.globalPosition, d.poolId, d.address, d.family, d.prefixLength, d.gateway, d.regionId, d.accountId,
            d.instanceId ?? null, d.floating, recorded.occurredAt],
        );
        if (rows[0].leased) return;
        const pool = (await readPool(tx, d.poolId))!;
        await tx.query(
          `WITH taken AS (DELETE FROM ip_free_units WHERE pool_id = $1 AND unit = $2)
           INSERT INTO ip_leases (pool_id, unit, ip_id) VALUES ($1, $2, $3)
           ON CONFLICT (pool_id, unit) DO UPDATE SET ip_id = excluded.ip_id, released_at = NULL`,
          [d.poolId, String(unitOf(pool, parseAddress(d.address)!)), ipId],
        );
        return;
      }
      case 'IpAssigned':
        await tx.query('UPDATE ip_addresses SET instance_id = $2 WHERE id = $1', [ipId, event.data.instanceId]);
        return;
      case 'IpUnassigned':
        await tx.query('UPDATE ip_addresses SET instance_id = NULL WHERE id = $1', [ipId]);
        return;
      case 'IpReleased':
        // An instance's own address keeps naming its instance, for the history; a floating one was unassigned first.
        await tx.query('UPDATE ip_addresses SET released_at = $2 WHERE id = $1', [ipId, recorded.occurredAt]);
        // Its unit is free again once its quarantine is over.
        await tx.query(
          `WITH lease AS (UPDATE ip_leases SET released_at = $2 WHERE ip_id = $1 RETURNING pool_id, unit)
           INSERT INTO ip_free_units (pool_id, unit, released_at)
           SELECT lease.pool_id, lease.unit, $2 FROM lease JOIN pools p ON p.id = lease.pool_id WHERE ${FREE_LISTED_SQL}
           ON CONFLICT (pool_id, unit) DO UPDATE SET released_at = excluded.released_at`,
          [ipId, recorded.occurredAt],
        );
        return;
      case 'ReverseDnsSet':
        await tx.query('UPDATE ip_addresses SET reverse_dns = $2 WHERE id = $1', [ipId, event.data.hostname]);
        return;
      case 'ReverseDnsCleared':
        await tx.query('UPDATE ip_addresses SET reverse_dns = NULL WHERE id = $1', [ipId]);
        return;
    }
  },
  async clear(tx) {
    await uncounted(tx, 'awan.floating_ips_per_account');
    await tx.query('DELETE FROM ip_addresses');
    // The units addresses held are free, as if never used, until their events say otherwise.
    await tx.query(
      `INSERT INTO ip_free_units (pool_id, unit) SELECT l.pool_id, l.unit FROM ip_leases l JOIN pools p ON p.id = l.pool_id
       WHERE l.ip_id IS NOT NULL AND ${FREE_LISTED_SQL}
       ON CONFLICT (pool_id, unit) DO UPDATE SET released_at = NULL`,
    );
    await tx.query('DELETE FROM ip_leases WHERE ip_id IS NOT NULL');
  },
};
