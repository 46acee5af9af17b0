import type pg from 'pg';
import type { IpFamily, PoolView } from '#libs/contracts';
import type { Sql } from '#libs/event-store';
import { parsePrefix } from '../ip-range.js';
import { formatAddress, formatPrefix, parseAddress, type IpPrefix } from '#libs/contracts';
import { usableUnits, type Pool } from './pool.js';

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
  retired_at: Date | null;
}

const POOL_COLUMNS = 'id, region_id, family, prefix::text, host(gateway) AS gateway, assignment_length, reserved, bridge, active, created_at, retired_at';

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
    retiredAt: row.retired_at?.toISOString() ?? null,
  };
}

/** A pool by id, in the caller's transaction (a projection's, say). */
export async function readPool(sql: Sql, id: string): Promise<Pool | undefined> {
  const { rows } = await sql.query<PoolRow>(`SELECT ${POOL_COLUMNS} FROM pools WHERE id = $1`, [id]);
  return rows[0] && toPool(rows[0]);
}

/** The pools projection as network reads it: the admin's view, and the pools allocation and validation work with. */
export class PoolsRepository {
  constructor(private readonly pool: pg.Pool) {}

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
