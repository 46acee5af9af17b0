import type { Projection } from '#libs/event-store';
import { parseAddress } from '../ip-range.js';
import { unitOf } from '../pools/pool.js';
import { readPool } from '../pools/pools.repository.js';
import type { IpEvent } from './ip.decider.js';

export const IP_EVENT_TYPES: readonly IpEvent['type'][] = [
  'IpAllocated', 'IpAssigned', 'IpUnassigned', 'IpReleased', 'ReverseDnsSet', 'ReverseDnsCleared',
];

/**
 * `ip_addresses`: every address ever allocated, released ones kept for their history; and the
 * leases they hold in `ip_leases`. The allocator claims a lease before it appends IpAllocated,
 * so here the lease is already there; a rebuild takes the leases from the events alone.
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
        await tx.query(
          `INSERT INTO ip_addresses (id, position, pool_id, address, family, prefix_length, gateway, region_id, account_id, instance_id, floating, allocated_at)
           VALUES ($1, $2, $3, $4, $5, $6, $7, $8, $9, $10, $11, $12)`,
          [ipId, recorded.globalPosition, d.poolId, d.address, d.family, d.prefixLength, d.gateway, d.regionId, d.accountId,
            d.instanceId ?? null, d.floating, recorded.occurredAt],
        );
        const pool = (await readPool(tx, d.poolId))!;
        await tx.query(
          `INSERT INTO ip_leases (pool_id, unit, ip_id) VALUES ($1, $2, $3)
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
        await tx.query('UPDATE ip_leases SET released_at = $2 WHERE ip_id = $1', [ipId, recorded.occurredAt]);
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
    await tx.query('DELETE FROM ip_addresses');
    await tx.query('DELETE FROM ip_leases WHERE ip_id IS NOT NULL');
  },
};
