import type pg from 'pg';
import type { Sql } from '#libs/event-store';
import type { Role } from './api-key.decider.js';
import type { AccountView, ApiKeyView, KeyStanding } from './identity.js';

/** A live key found by its secret's hash, with its account and the account's customers. */
export interface KeyHolder {
  apiKeyId: string;
  role: Role;
  /** Read with the key: a caller's `me` needs no query of its own. */
  account: AccountView;
  /** The account's customers, oldest first. */
  children: string[];
}

const ACCOUNT_COLUMNS = `id, name, kind, status, currency, email, tax_rate::text AS "taxRate", parent_id AS "parentId",
  to_char(created_at AT TIME ZONE 'UTC', 'YYYY-MM-DD"T"HH24:MI:SS.MS"Z"') AS "createdAt", position`;
const KEY_COLUMNS = `id, name, role, account_id AS "accountId", created_at AS "createdAt", last_used_at AS "lastUsedAt"`;
/** Serializes first starts of several gateway replicas: one of them makes the platform account. */
const FIRST_START_LOCK = 0x69640001;

type AccountRow = AccountView & { position: string };
const accountOf = ({ position: _, ...view }: AccountRow): AccountView => view;
const keyOf = (row: { createdAt: Date; lastUsedAt: Date | null } & Omit<ApiKeyView, 'createdAt' | 'lastUsedAt'>): ApiKeyView => ({
  ...row, createdAt: row.createdAt.toISOString(), lastUsedAt: row.lastUsedAt?.toISOString() ?? null,
});

/** Identity's read models (`accounts`, `api_keys`, kept by its projection) as the gateway queries them. */
export class IdentityRepository {
  constructor(private readonly pool: pg.Pool) {}

  /** Holds the first start's lock until `tx` ends, so that replicas starting together make one platform. */
  async lockFirstStart(tx: Sql): Promise<void> {
    await tx.query('SELECT pg_advisory_xact_lock($1)', [FIRST_START_LOCK]);
  }

  /** The PLATFORM account's id; null before the first start made it. */
  async platformId(sql: Sql = this.pool): Promise<string | null> {
    const { rows } = await sql.query<{ id: string }>("SELECT id FROM accounts WHERE kind = 'PLATFORM'");
    return rows[0]?.id ?? null;
  }

  /** The live (unrevoked) key whose secret hashes to `secretHash`, and whom it belongs to. */
  async keyHolder(secretHash: string): Promise<KeyHolder | null> {
    const { rows } = await this.pool.query<AccountRow & { apiKeyId: string; role: Role; children: string[] }>(
      `SELECT k.id AS "apiKeyId", k.role, a.*, ARRAY(SELECT c.id FROM accounts c WHERE c.parent_id = a.id ORDER BY c.position) AS children
       FROM api_keys k CROSS JOIN LATERAL (SELECT ${ACCOUNT_COLUMNS} FROM accounts WHERE id = k.account_id) a
       WHERE k.secret_hash = $1 AND k.revoked_at IS NULL`,
      [secretHash],
    );
    if (!rows[0]) return null;
    const { apiKeyId, role, children, ...account } = rows[0];
    return { apiKeyId, role, account: accountOf(account), children };
  }

  /**
   * The standing of each key of `apiKeyIds` there is, in one query; a signed-in person's session
   * (`session:<id>`, see people) stands as a key does, revoked once ended or expired.
   */
  async keyStandings(apiKeyIds: string[]): Promise<Map<string, KeyStanding>> {
    const { rows } = await this.pool.query<KeyStanding & { id: string }>(
      `SELECT k.id, k.revoked_at IS NOT NULL AS revoked, a.status AS "accountStatus" FROM api_keys k JOIN accounts a ON a.id = k.account_id WHERE k.id = ANY($1)
       UNION ALL
       SELECT 'session:' || s.id, s.ended_at IS NOT NULL OR s.expires_at <= now(), a.status
       FROM sessions s JOIN users u ON u.id = s.user_id JOIN accounts a ON a.id = u.account_id
       WHERE s.id = ANY(ARRAY(SELECT substr(id, 9) FROM unnest($1::text[]) AS id WHERE id LIKE 'session:%'))`,
      [apiKeyIds],
    );
    return new Map(rows.map(({ id, ...standing }) => [id, standing]));
  }

  /** Records that the keys were used now: a key's lastUsedAt. */
  async touch(apiKeyIds: string[]): Promise<void> {
    await this.pool.query('UPDATE api_keys SET last_used_at = now() WHERE id = ANY($1)', [apiKeyIds]);
  }

  /** The accounts of `ids` there are. */
  async accounts(ids: readonly string[]): Promise<AccountView[]> {
    const { rows } = await this.pool.query<AccountRow>(`SELECT ${ACCOUNT_COLUMNS} FROM accounts WHERE id = ANY($1)`, [ids]);
    return rows.map(accountOf);
  }

  /**
   * Up to `limit` of the accounts of `accountIds` (null: every one) past position `after`, oldest
   * first, each with its position; a parent's customers when `parentId` is given. And how many there are.
   */
  async page(filter: { accountIds: string[] | null; parentId: string | null; after: number; limit: number }): Promise<{ rows: { account: AccountView; position: string }[]; total: number }> {
    const where = 'WHERE ($1::text[] IS NULL OR id = ANY($1)) AND ($2::text IS NULL OR parent_id = $2)';
    const params = [filter.accountIds, filter.parentId];
    const [{ rows }, count] = await Promise.all([
      this.pool.query<AccountRow>(`SELECT ${ACCOUNT_COLUMNS} FROM accounts ${where} AND position > $3 ORDER BY position LIMIT $4`, [...params, filter.after, filter.limit]),
      this.pool.query<{ total: number }>(`SELECT count(*)::integer AS total FROM accounts ${where}`, params),
    ]);
    return { rows: rows.map((row) => ({ account: accountOf(row), position: row.position })), total: count.rows[0].total };
  }

  async apiKey(id: string): Promise<ApiKeyView | null> {
    const { rows } = await this.pool.query(`SELECT ${KEY_COLUMNS} FROM api_keys WHERE id = $1`, [id]);
    return rows[0] ? keyOf(rows[0]) : null;
  }

  /** The keys not revoked of the accounts `accountIds` (null: every account), oldest first. */
  async liveApiKeys(accountIds: string[] | null): Promise<ApiKeyView[]> {
    const { rows } = await this.pool.query(
      `SELECT ${KEY_COLUMNS} FROM api_keys WHERE revoked_at IS NULL AND ($1::text[] IS NULL OR account_id = ANY($1)) ORDER BY created_at, id`,
      [accountIds],
    );
    return rows.map(keyOf);
  }
}
