import type pg from 'pg';
import type { FirewallRule, FirewallView } from '#libs/contracts';
import type { Sql } from '#libs/event-store';

const COLUMNS = `
  f.id, f.account_id AS "accountId", f.name, f.rules, f.created_at AS "createdAt", f.position,
  ARRAY(SELECT fa.instance_id::text FROM firewall_attachments fa WHERE fa.firewall_id = f.id ORDER BY fa.position) AS "instanceIds"`;
const VIEW = `SELECT ${COLUMNS} FROM firewalls f`;

type ViewRow = Omit<FirewallView, 'createdAt'> & { createdAt: Date; position: string };
const toView = ({ position: _, createdAt, ...view }: ViewRow): FirewallView => ({ ...view, createdAt: createdAt.toISOString() });

/** A firewall with its place in the list's stable order (the global position of its FirewallCreated). */
export interface ListedFirewall {
  position: string;
  firewall: FirewallView;
}

/** What an instance's host is to enforce, as the projections hold it at one moment. */
export interface InstanceFilterRow {
  revision: number;
  addresses: string[];
  /** How many firewalls it has attached. */
  firewalls: number;
  /** Their rules, in the order they were attached. */
  rules: FirewallRule[];
}

/** The firewalls projection (`firewalls`, `firewall_attachments`) and the filters read from it with the instances' addresses. */
export class FirewallsRepository {
  constructor(private readonly pool: pg.Pool) {}

  /** A live firewall by its (lower-case) id, whoever's it is; a deleted one only when asked. */
  async find(firewallId: string, options: { includeDeleted?: boolean } = {}): Promise<FirewallView | null> {
    const { rows } = await this.pool.query<ViewRow>(`${VIEW} WHERE f.id = $1 AND (f.deleted_at IS NULL OR $2)`, [firewallId, options.includeDeleted === true]);
    return rows[0] ? toView(rows[0]) : null;
  }

  /** Live firewalls of these accounts (null: every account's), oldest first from `after`, with the count of all of them. */
  async list(query: { accountIds: string[] | null; after: number; limit: number }): Promise<{ firewalls: ListedFirewall[]; totalCount: number }> {
    const where = 'WHERE f.deleted_at IS NULL AND ($1::text[] IS NULL OR f.account_id = ANY($1))';
    const [{ rows }, count] = await Promise.all([
      this.pool.query<ViewRow>(`${VIEW} ${where} AND f.position > $2 ORDER BY f.position LIMIT $3`, [query.accountIds, query.after, query.limit]),
      this.pool.query<{ total: number }>(`SELECT count(*)::integer AS total FROM firewalls f ${where}`, [query.accountIds]),
    ]);
    return { firewalls: rows.map((row) => ({ position: row.position, firewall: toView(row) })), totalCount: count.rows[0].total };
  }

  /** The firewalls of these accounts (null: every account's) attached to each instance, in the order they were attached. */
  async ofInstances(instanceIds: string[], accountIds: string[] | null): Promise<Map<string, FirewallView[]>> {
    const { rows } = await this.pool.query<ViewRow & { attachedTo: string }>(
      `SELECT ${COLUMNS}, a.instance_id::text AS "attachedTo" FROM firewall_attachments a JOIN firewalls f ON f.id = a.firewall_id
       WHERE a.instance_id = ANY($1::uuid[]) AND ($2::text[] IS NULL OR f.account_id = ANY($2)) ORDER BY a.position`,
      [instanceIds, accountIds],
    );
    const byInstance = new Map<string, FirewallView[]>();
    for (const { attachedTo, ...row } of rows) byInstance.set(attachedTo, [...(byInstance.get(attachedTo) ?? []), toView(row)]);
    return byInstance;
  }

  /** How many firewalls the instance has attached now, read in the caller's transaction. */
  async countAttached(tx: Sql, instanceId: string): Promise<number> {
    const { rows } = await tx.query<{ count: number }>('SELECT count(*)::integer AS count FROM firewall_attachments WHERE instance_id = $1', [instanceId]);
    return rows[0].count;
  }

  /** The firewalls attached to the instance now, read in the caller's transaction. */
  async attachedTo(tx: Sql, instanceId: string): Promise<string[]> {
    const { rows } = await tx.query<{ id: string }>('SELECT firewall_id::text AS id FROM firewall_attachments WHERE instance_id = $1 ORDER BY position', [instanceId]);
    return rows.map((row) => row.id);
  }

  /**
   * Each instance's filter as of one snapshot of the projections (one statement), so a revision
   * never goes out with rules or addresses older than it.
   */
  async filters(sql: Sql, instanceIds: string[]): Promise<Map<string, InstanceFilterRow>> {
    const { rows } = await sql.query<{ id: string; revision: number; addresses: string[]; firewalls: number; rules: FirewallRule[][] }>(
      `SELECT i.id::text AS id,
         coalesce((SELECT revision FROM instance_filters WHERE instance_id = i.id), 0) AS revision,
         coalesce((SELECT array_agg(host(address) ORDER BY family, position) FROM ip_addresses
                   WHERE instance_id = i.id AND released_at IS NULL), '{}') AS addresses,
         (SELECT count(*)::integer FROM firewall_attachments a JOIN firewalls f ON f.id = a.firewall_id WHERE a.instance_id = i.id) AS firewalls,
         coalesce((SELECT jsonb_agg(f.rules ORDER BY a.position) FROM firewall_attachments a JOIN firewalls f ON f.id = a.firewall_id
                   WHERE a.instance_id = i.id), '[]') AS rules
       FROM unnest($1::uuid[]) AS i(id)`,
      [instanceIds],
    );
    return new Map(rows.map((row): [string, InstanceFilterRow] => [row.id, { revision: row.revision, addresses: row.addresses, firewalls: row.firewalls, rules: row.rules.flat() }]));
  }
}
