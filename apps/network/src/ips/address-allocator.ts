import { randomBytes } from 'node:crypto';
import type { Sql } from '#libs/event-store';
import { unitCount, type Pool } from '../pools/pool.js';

/** Pools up to this many units are searched for their free units; larger ones (IPv6) are probed at random. */
const SCAN_UNITS = 1n << 16n;
const CANDIDATES = 16;
const ROUNDS = 8;

/**
 * Claims a free unit of a pool for an address. The lease table's primary key decides: a claim
 * is an INSERT that either creates the unit's row, or takes over a released row whose quarantine
 * is over, in one statement. Two allocators offered the same unit get it once; the other moves
 * on to its next candidate. Nothing is read and then written on the strength of that read.
 */
export class AddressAllocator {
  constructor(private readonly quarantineSeconds: number) {}

  /** The unit claimed for `ipId` inside the caller's transaction, or null when the pool has none free. */
  async claim(tx: Sql, pool: Pool, ipId: string): Promise<bigint | null> {
    const count = unitCount(pool);
    for (let round = 0; round < ROUNDS; round++) {
      const candidates = count <= SCAN_UNITS ? await this.freeUnits(tx, pool, count) : randomUnits(count);
      if (candidates.length === 0) return null;
      for (const unit of candidates) {
        const { rowCount } = await tx.query(
          `INSERT INTO ip_leases (pool_id, unit, ip_id) VALUES ($1, $2, $3)
           ON CONFLICT (pool_id, unit) DO UPDATE SET ip_id = excluded.ip_id, released_at = NULL
             WHERE ip_leases.ip_id IS NOT NULL AND ip_leases.released_at <= now() - make_interval(secs => $4)`,
          [pool.id, String(unit), ipId, this.quarantineSeconds],
        );
        if (rowCount === 1) return unit;
      }
    }
    // Every candidate of every round went to someone else: as good as full for this caller.
    return null;
  }

  /** A random sample of the units nobody holds and whose quarantine, if any, is over. */
  private async freeUnits(tx: Sql, pool: Pool, count: bigint): Promise<bigint[]> {
    const { rows } = await tx.query<{ unit: string }>(
      `SELECT u::text AS unit FROM generate_series(0::numeric, $2::numeric - 1) u
       WHERE NOT EXISTS (
         SELECT 1 FROM ip_leases l WHERE l.pool_id = $1 AND l.unit = u
           AND (l.ip_id IS NULL OR l.released_at IS NULL OR l.released_at > now() - make_interval(secs => $3)))
       ORDER BY random() LIMIT $4`,
      [pool.id, String(count), this.quarantineSeconds, CANDIDATES],
    );
    return rows.map((r) => BigInt(r.unit));
  }
}

/** Units drawn uniformly from a space too large to list; the lease table still decides each one. */
function randomUnits(count: bigint): bigint[] {
  return Array.from({ length: CANDIDATES }, () => BigInt(`0x${randomBytes(16).toString('hex')}`) % count);
}
