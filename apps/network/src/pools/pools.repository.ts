import type pg from 'pg';
import type { IpFamily, PoolView } from '#libs/contracts';
import { withTransaction, type Sql } from '#libs/event-store';
import { formatAddress, formatPrefix, parseAddress, parsePrefix, type IpPrefix } from '../ip-range.js';
import { excludedUnits, usableUnits, type Pool } from './pool.js';

interface PoolRow {
  id: string;
  region_id: string;
  family: IpFamily;
  prefix: string;
  gateway: string;
  assignment_length: number;
  reserved: string[];
  bridge: string;
  active: boolean;
  created_at: Date;
}

const POOL_COLUMNS = 'id, region_id, family, prefix::text, host(gateway) AS gateway, assignment_length, reserved, bridge, active, created_at';

function toPool(row: PoolRow): Pool {
  return {
    id: row.id, regionId: row.region_id, family: row.family, prefix: parsePrefix(row.prefix) as IpPrefix,
    gateway: parseAddress(row.gateway)!, assignmentLength: row.assignment_length,
    reserved: row.reserved, bridge: row.bridge, active: row.active,
  };
}

function toView(row: PoolRow & { allocated: number }): PoolView {
  const pool = toPool(row);
  return {
    id: pool.id, regionId: pool.regionId, family: pool.family, prefix: formatPrefix(pool.prefix), gateway: formatAddress(pool.gateway),
    assignmentLength: pool.assignmentLength, reserved: pool.reserved, bridge: pool.bridge, active: pool.active,
    usable: String(usableUnits(pool)), allocated: row.allocated, createdAt: row.created_at.toISOString(),
  };
}

/** A pool by id, in the caller's transaction (a projection's, say). */
export async function readPool(sql: Sql, id: string): Promise<Pool | undefined> {
  const { rows } = await sql.query<PoolRow>(`SELECT ${POOL_COLUMNS} FROM pools WHERE id = $1`, [id]);
  return rows[0] && toPool(rows[0]);
}

/** `pools`, and the lease rows that keep a pool's excluded units out of allocation. */
export class PoolsRepository {
  constructor(private readonly pool: pg.Pool) {}

  /** The pool with its excluded units leased to nobody, in one transaction. */
  async insert(pool: Pool): Promise<void> {
    await withTransaction(this.pool, async (tx) => {
      await tx.query(
        `INSERT INTO pools (id, region_id, family, prefix, gateway, assignment_length, reserved, bridge) VALUES ($1, $2, $3, $4, $5, $6, $7, $8)`,
        [pool.id, pool.regionId, pool.family, formatPrefix(pool.prefix), formatAddress(pool.gateway), pool.assignmentLength, pool.reserved, pool.bridge],
      );
      await tx.query('INSERT INTO ip_leases (pool_id, unit) SELECT $1, unnest($2::numeric[])', [pool.id, excludedUnits(pool).map(String)]);
    });
  }

  /** False when there is no such pool. */
  async deactivate(id: string): Promise<boolean> {
    const { rowCount } = await this.pool.query('UPDATE pools SET active = false WHERE id = $1', [id]);
    return rowCount === 1;
  }

  /** Pools as the admin sees them, oldest first, each with its live addresses counted. */
  async views(filter: { regionId?: string; includeRetired?: boolean; id?: string }): Promise<PoolView[]> {
    const { rows } = await this.pool.query<PoolRow & { allocated: number }>(
      `SELECT ${POOL_COLUMNS}, (SELECT count(*)::integer FROM ip_leases l WHERE l.pool_id = p.id AND l.ip_id IS NOT NULL AND l.released_at IS NULL) AS allocated
       FROM pools p WHERE ($1::text IS NULL OR region_id = $1) AND (active OR $2) AND ($3::text IS NULL OR id = $3) ORDER BY position`,
      [filter.regionId ?? null, filter.includeRetired === true, filter.id ?? null],
    );
    return rows.map(toView);
  }

  async all(): Promise<Pool[]> {
    const { rows } = await this.pool.query<PoolRow>(`SELECT ${POOL_COLUMNS} FROM pools ORDER BY position`);
    return rows.map(toPool);
  }

  /** A region's active pools of a family, oldest first: the order allocation tries them in. Read in the allocating transaction. */
  async activeIn(tx: Sql, regionId: string, family: IpFamily): Promise<Pool[]> {
    const { rows } = await tx.query<PoolRow>(
      `SELECT ${POOL_COLUMNS} FROM pools WHERE region_id = $1 AND family = $2 AND active ORDER BY position`,
      [regionId, family],
    );
    return rows.map(toPool);
  }
}
