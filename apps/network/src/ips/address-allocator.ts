import { randomBytes } from 'node:crypto';
import type { Sql } from '#libs/event-store';
import { unitCount, type Pool } from '../pools/pool.js';

/** Pools up to this many units are searched for their free units; larger ones (IPv6) are probed at random. */
const SCAN_UNITS = 1n << 20n;
/** How many units one search query looks at. */
const SCAN_WINDOW = 1024n;
const CANDIDATES = 16;
const RANDOM_ROUNDS = 8;

/**
 * Claims a free unit of a pool for an address. The lease table decides: its primary key lets one
 * INSERT of a unit succeed, and a released unit is taken over by one conditional UPDATE. Two
 * allocators offered the same unit get it once; the other moves on to its next candidate. The
 * search for candidates only suggests; nothing is written on the strength of what it read.
 */
export class AddressAllocator {
  constructor(private readonly quarantineSeconds: number) {}

  /** The unit claimed for `ipId` inside the caller's transaction, or null when the pool has none free. */
  async claim(tx: Sql, pool: Pool, ipId: string): Promise<bigint | null> {
    const count = unitCount(pool);
    // A small pool is searched until it has nothing free: each lost round means others took units, so it ends.
    // A large one is probed at random, where losing every probe of several rounds means it is as good as full.
    for (let round = 0; count <= SCAN_UNITS || round < RANDOM_ROUNDS; round++) {
      const candidates = count <= SCAN_UNITS ? await this.freeUnits(tx, pool, count) : randomUnits(count);
      if (candidates.length === 0) return null;
      for (const unit of candidates) {
        if (await this.take(tx, pool, unit, ipId)) return unit;
      }
    }
    return null;
  }

  /**
   * A unit nobody ever held is inserted; one whose quarantine is over is taken over by an UPDATE
   * that re-checks its row. Neither locks a unit it does not get, so two allocators never wait on each other in a cycle.
   */
  private async take(tx: Sql, pool: Pool, unit: bigint, ipId: string): Promise<boolean> {
    const params = [pool.id, String(unit), ipId];
    const inserted = await tx.query('INSERT INTO ip_leases (pool_id, unit, ip_id) VALUES ($1, $2, $3) ON CONFLICT DO NOTHING', params);
    if (inserted.rowCount === 1) return true;
    const reused = await tx.query(
      `UPDATE ip_leases SET ip_id = $3, released_at = NULL
       WHERE pool_id = $1 AND unit = $2 AND ip_id IS NOT NULL AND released_at <= now() - make_interval(secs => $4)`,
      [...params, this.quarantineSeconds],
    );
    return reused.rowCount === 1;
  }

  /**
   * A random sample of the units nobody holds and whose quarantine, if any, is over. It looks
   * through windows of the pool from a random start, so a large pool costs a window, not a scan.
   */
  private async freeUnits(tx: Sql, pool: Pool, count: bigint): Promise<bigint[]> {
    const window = count < SCAN_WINDOW ? count : SCAN_WINDOW;
    const start = randomUnit(count);
    for (let offset = 0n; offset < count; offset += window) {
      const { rows } = await tx.query<{ unit: string }>(
        `SELECT u::text AS unit FROM (SELECT ($2::numeric + g) % $3::numeric AS u FROM generate_series(0, $4::integer - 1) g) units
         WHERE NOT EXISTS (
           SELECT 1 FROM ip_leases l WHERE l.pool_id = $1 AND l.unit = units.u
             AND (l.ip_id IS NULL OR l.released_at IS NULL OR l.released_at > now() - make_interval(secs => $5)))
         ORDER BY random() LIMIT $6`,
        [pool.id, String((start + offset) % count), String(count), Number(window), this.quarantineSeconds, CANDIDATES],
      );
      if (rows.length > 0) return rows.map((r) => BigInt(r.unit));
    }
    return [];
  }
}

const randomUnit = (count: bigint): bigint => BigInt(`0x${randomBytes(16).toString('hex')}`) % count;

/** Units drawn uniformly from a space too large to search; the lease table still decides each one. */
const randomUnits = (count: bigint): bigint[] => Array.from({ length: CANDIDATES }, () => randomUnit(count));
