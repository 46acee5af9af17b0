import type pg from 'pg';
import type { IpFamily } from '#libs/contracts';

/** What network's zones are made of, as its tables hold it: pools' prefixes, instances' names and their live addresses. */
export class DnsRepository {
  constructor(private readonly pool: pg.Pool) {}

  /** Every pool's prefix, oldest first. */
  async poolPrefixes(): Promise<{ id: string; regionId: string; prefix: string }[]> {
    const { rows } = await this.pool.query<{ id: string; regionId: string; prefix: string }>(
      'SELECT id, region_id AS "regionId", prefix::text FROM pools ORDER BY position',
    );
    return rows;
  }

  /** A region's live instances by name, each with its own (not floating) live addresses. */
  async instanceAddresses(regionId: string): Promise<{ name: string; address: string; family: IpFamily }[]> {
    const { rows } = await this.pool.query<{ name: string; address: string; family: IpFamily }>(
      `SELECT i.name, host(a.address) AS address, a.family FROM instances i
       JOIN ip_addresses a ON a.instance_id = i.id AND NOT a.floating AND a.released_at IS NULL
       WHERE i.ended_at IS NULL AND i.region_id = $1 ORDER BY i.name, a.family`,
      [regionId],
    );
    return rows;
  }

  /** The pools' live addresses in address order, each with the PTR name set on it and the live instance it is on, if any. */
  async poolAddresses(poolIds: string[]): Promise<{ address: string; reverseDns: string | null; instanceName: string | null; regionId: string | null }[]> {
    const { rows } = await this.pool.query<{ address: string; reverseDns: string | null; instanceName: string | null; regionId: string | null }>(
      `SELECT host(a.address) AS address, a.reverse_dns AS "reverseDns", i.name AS "instanceName", i.region_id AS "regionId" FROM ip_addresses a
       LEFT JOIN instances i ON i.id = a.instance_id AND i.ended_at IS NULL
       WHERE a.released_at IS NULL AND a.pool_id = ANY($1) ORDER BY a.address`,
      [poolIds],
    );
    return rows;
  }

  /** Seconds since the epoch of network's newest event (0 before the first): grows with every change, as a zone serial must. */
  async newestChange(): Promise<number> {
    const { rows } = await this.pool.query<{ serial: string }>(
      'SELECT coalesce(extract(epoch FROM max(occurred_at)), 0)::bigint AS serial FROM (SELECT occurred_at FROM events ORDER BY global_position DESC LIMIT 1) newest',
    );
    return Number(rows[0].serial);
  }
}
