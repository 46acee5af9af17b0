import { randomBytes } from 'node:crypto';
import type { Sql } from '#libs/event-store';
import { isFreeListed, unitCount, type Pool } from '../pools/pool.js';

/** How many random units a large pool is probed at before it counts as full. */
const PROBES = 128;

/** The pool ($1) hands out units: a claim checks it, as the caller's list of pools may be older than a retirement. */
const ACTIVE = 'EXISTS (SELECT 1 FROM pools WHERE id = $1 AND active)';

/**
 * Takes a pool's lowest free unit in one statement: its `ip_free_units` row is locked and deleted
 * and its lease written. `SKIP LOCKED` passes over the rows other callers' open claims hold;
 * without it, the statement waits for them (each commits, and its row is gone, or rolls back, and
 * it is free). The lease decides, as for a probe: a unit whose lease is live is not taken (its
 * free row, wrong, is deleted all the same), nor one still in quarantine. `candidate` null: nothing free.
 */
const claimSql = (lock: string) => `
  WITH candidate AS (
    SELECT unit FROM ip_free_units
    WHERE pool_id = $1 AND (released_at IS NULL OR released_at <= now() - make_interval(secs => $3)) AND ${ACTIVE}
    ORDER BY unit LIMIT 1 ${lock}
  ), taken AS (
    DELETE FROM ip_free_units f USING candidate c WHERE f.pool_id = $1 AND f.unit = c.unit RETURNING f.unit
  ), leased AS (
    INSERT INTO ip_leases (pool_id, unit, ip_id) SELECT $1, unit, $2 FROM taken
    ON CONFLICT (pool_id, unit) DO UPDATE SET ip_id = excluded.ip_id, released_at = NULL
      WHERE ip_leases.released_at <= now() - make_interval(secs => $3)
    RETURNING unit
  )
  SELECT (SELECT unit::text FROM taken) AS candidate, (SELECT unit::text FROM leased) AS unit`;
// Not prepared: a generic plan made while the table was small (a sort of the pool's rows) would stay with the connection.
const CLAIM_PASSING_OVER = claimSql('FOR UPDATE SKIP LOCKED');
const CLAIM_WAITING = claimSql('FOR UPDATE');

/**
 * Claims a free unit of a pool for an address. The lease table decides: its primary key lets one
 * INSERT of a unit succeed, and a released unit is taken over once its quarantine is over. A pool
 * of up to 2^16 units names its free units in `ip_free_units` (written with the pool, and by each
 * release), so a claim is one statement that neither searches the pool nor waits on another
 * caller's claim while any other unit is free. A larger pool is probed at random.
 */
export class AddressAllocator {
  constructor(private readonly quarantineSeconds: number) {}

  /** The unit claimed for `ipId` inside the caller's transaction, or null when the pool has none free (or is retired). */
  async claim(tx: Sql, pool: Pool, ipId: string): Promise<bigint | null> {
    return isFreeListed(pool) ? this.takeFree(tx, pool, ipId) : this.probe(tx, pool, ipId);
  }

  /**
   * Passes over units others are claiming; only once none is left does it wait for those claims,
   * one of which may yet roll back: a pool is full when every claim of its last units has committed.
   */
  private async takeFree(tx: Sql, pool: Pool, ipId: string): Promise<bigint | null> {
    for (const statement of [CLAIM_PASSING_OVER, CLAIM_WAITING]) {
      for (;;) {
        const { rows } = await tx.query<{ candidate: string | null; unit: string | null }>(statement, [pool.id, ipId, this.quarantineSeconds]);
        if (rows[0].unit !== null) return BigInt(rows[0].unit);
        if (rows[0].candidate === null) break;
      }
    }
    return null;
  }

  /** Random units, where losing every one of many probes means the pool is as good as full. */
  private async probe(tx: Sql, pool: Pool, ipId: string): Promise<bigint | null> {
    const count = unitCount(pool);
    for (let i = 0; i < PROBES; i++) {
      const unit = randomUnit(count);
      if (await this.take(tx, pool, unit, ipId)) return unit;
    }
    return null;
  }

  /**
   * A unit nobody ever held is inserted; one whose quarantine is over is taken over by an UPDATE
   * that re-checks its row. Neither locks a unit it does not get, so two allocators never wait on each other in a cycle.
   */
  private async take(tx: Sql, pool: Pool, unit: bigint, ipId: string): Promise<boolean> {
    const params = [pool.id, String(unit), ipId];
    const inserted = await tx.query(`INSERT INTO ip_leases (pool_id, unit, ip_id) SELECT $1, $2, $3 WHERE ${ACTIVE} ON CONFLICT DO NOTHING`, params);
    if (inserted.rowCount === 1) return true;
    const reused = await tx.query(
      `UPDATE ip_leases SET ip_id = $3, released_at = NULL
       WHERE pool_id = $1 AND unit = $2 AND ip_id IS NOT NULL AND released_at <= now() - make_interval(secs => $4) AND ${ACTIVE}`,
      [...params, this.quarantineSeconds],
    );
    return reused.rowCount === 1;
  }
}

/** A unit drawn uniformly from a space too large to search; the lease table still decides it. */
const randomUnit = (count: bigint): bigint => BigInt(`0x${randomBytes(16).toString('hex')}`) % count;
