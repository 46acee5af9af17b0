import type pg from 'pg';
import type { IpView } from '#libs/contracts';
import type { Sql } from '#libs/event-store';

const VIEW = `
  SELECT id, host(address) AS address, family, prefix_length AS "prefixLength", host(gateway) AS gateway, pool_id AS "poolId",
         region_id AS "regionId", account_id AS "accountId", instance_id AS "instanceId", floating, reverse_dns AS "reverseDns",
         allocated_at AS "allocatedAt", released_at AS "releasedAt", position
  FROM ip_addresses`;

type ViewRow = IpView & { position: string };
const toView = ({ position: _, ...view }: ViewRow): IpView => view;

/** An address with its place in the list's stable order (the global position of its IpAllocated). */
export interface ListedIp {
  position: string;
  ip: IpView;
}

export interface IpQuery {
  /** The accounts whose addresses are listed; null for every account's. */
  accountIds: string[] | null;
  /** Only these instances' addresses; null for all. */
  instanceIds: string[] | null;
  includeReleased: boolean;
  /** The position to list from (exclusive), and how many at most. */
  after: number;
  limit: number;
}

/** `ip_addresses`, the projection of every address's events: the views the API shows, and lists of them. */
export class IpsRepository {
  constructor(private readonly pool: pg.Pool) {}

  /** An address by its (lower-case) id, whoever's it is. */
  async find(ipId: string): Promise<IpView | null> {
    const { rows } = await this.pool.query<ViewRow>(`${VIEW} WHERE id = $1`, [ipId]);
    return rows[0] ? toView(rows[0]) : null;
  }

  /** Oldest first, from `after`; with the count of all the query matches, whatever the page. */
  async list(query: IpQuery): Promise<{ ips: ListedIp[]; totalCount: number }> {
    const where = `WHERE ($1::text[] IS NULL OR account_id = ANY($1)) AND ($2::uuid[] IS NULL OR instance_id = ANY($2))
                     AND (released_at IS NULL OR $3)`;
    const params = [query.accountIds, query.instanceIds, query.includeReleased];
    const [{ rows }, count] = await Promise.all([
      this.pool.query<ViewRow>(`${VIEW} ${where} AND position > $4 ORDER BY position LIMIT $5`, [...params, query.after, query.limit]),
      this.pool.query<{ total: number }>(`SELECT count(*)::integer AS total FROM ip_addresses ${where}`, params),
    ]);
    return { ips: rows.map((row) => ({ position: row.position, ip: toView(row) })), totalCount: count.rows[0].total };
  }

  /** The live addresses an instance holds, read in the caller's transaction. */
  async heldBy(tx: Sql, instanceId: string): Promise<{ id: string; floating: boolean }[]> {
    const { rows } = await tx.query<{ id: string; floating: boolean }>(
      'SELECT id, floating FROM ip_addresses WHERE instance_id = $1 AND released_at IS NULL',
      [instanceId],
    );
    return rows;
  }
}
