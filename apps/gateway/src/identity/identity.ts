import { createHash, randomBytes, randomUUID } from 'node:crypto';
import type pg from 'pg';
import { AppError, PLATFORM_SCOPE, type AccountKind, type AccountScope, type AccountStatus, type EventMetadata, type Scope } from '#libs/contracts';
import { handleCommand, withTransaction, type EventStore, type Sql } from '#libs/event-store';
import { accountsOf, decodeCursor, encodeCursor, inScope, pageSize, toPage, type Page } from '#libs/messaging';
import { accountDecider, accountStreamId, isIsoCurrency, type AccountCommand, type ParentAccount } from './account.decider.js';
import { apiKeyDecider, apiKeyStreamId, type Role } from './api-key.decider.js';

export interface AccountView {
  id: string;
  name: string;
  kind: AccountKind;
  status: AccountStatus;
  currency: string;
  email: string | null;
  taxRate: string;
  parentId: string | null;
  createdAt: string;
}

export interface ApiKeyView {
  id: string;
  name: string;
  role: Role;
  accountId: string;
  createdAt: string;
  lastUsedAt: string | null;
}

/** Who is calling: an API key, its account and role, and the accounts it may see (PLATFORM_SCOPE: all of them). */
export interface Viewer {
  apiKeyId: string;
  accountId: string;
  accountKind: AccountKind;
  accountStatus: AccountStatus;
  role: Role;
  accountIds: AccountScope;
}

/** Whether a key still stands: revoked or not, and its account's status. */
export interface KeyStanding {
  revoked: boolean;
  accountStatus: AccountStatus;
}

export interface CreateAccountInput {
  name: string;
  kind: AccountKind;
  email?: string | null;
  currency?: string | null;
  taxRate?: string | null;
  parentId?: string | null;
}

export interface CreateApiKeyInput {
  accountId: string;
  name: string;
  role: Role;
}

const ACCOUNT_COLUMNS = `id, name, kind, status, currency, email, tax_rate::text AS "taxRate", parent_id AS "parentId",
  to_char(created_at AT TIME ZONE 'UTC', 'YYYY-MM-DD"T"HH24:MI:SS.MS"Z"') AS "createdAt", position`;
const KEY_COLUMNS = `id, name, role, account_id AS "accountId", created_at AS "createdAt", last_used_at AS "lastUsedAt"`;
/** Serializes first starts of several gateway replicas: one of them makes the platform account. */
const BOOTSTRAP_LOCK = 0x69640001;

const SECRET_PREFIX = 'awan_';
export const hashSecret = (secret: string) => createHash('sha256').update(secret).digest('hex');
const newSecret = () => `${SECRET_PREFIX}${randomBytes(32).toString('base64url')}`;

type AccountRow = AccountView & { position: string };
const accountOf = ({ position: _, ...view }: AccountRow): AccountView => view;
const keyOf = (row: { createdAt: Date; lastUsedAt: Date | null } & Omit<ApiKeyView, 'createdAt' | 'lastUsedAt'>): ApiKeyView => ({
  ...row, createdAt: row.createdAt.toISOString(), lastUsedAt: row.lastUsedAt?.toISOString() ?? null,
});

/**
 * Identity: accounts and API keys, event-sourced in the gateway's own schema. Who may create
 * what is decided here (the domain's rules are in the deciders); every read takes the caller's scope.
 */
export class Identity {
  constructor(
    private readonly pool: pg.Pool,
    private readonly store: EventStore,
    /** The currencies billing has a platform price list in (`billing.price.currencies`). */
    private readonly pricedCurrencies: () => Promise<readonly string[]>,
  ) {}

  /**
   * The first start makes the PLATFORM account and its ADMIN key, from `adminSecret` when given.
   * Null when the platform exists already; else the secret it generated (to be shown once), or
   * null for it when `adminSecret` was given.
   */
  async bootstrap(options: { name: string; currency: string; adminSecret: string | null }, metadata: EventMetadata): Promise<{ generatedSecret: string | null } | null> {
    return withTransaction(this.pool, async (tx) => {
      await tx.query('SELECT pg_advisory_xact_lock($1)', [BOOTSTRAP_LOCK]);
      const { rows } = await tx.query("SELECT id FROM accounts WHERE kind = 'PLATFORM'");
      if (rows[0]) return null;
      const { secret } = await this.open(tx, { name: options.name, kind: 'PLATFORM', currency: options.currency }, null, metadata, { secret: options.adminSecret ?? undefined });
      return { generatedSecret: options.adminSecret === null ? secret : null };
    });
  }

  /** A new account and its first key (ADMIN for the platform, else its kind's role), in one transaction. */
  private async open(
    tx: Sql, input: CreateAccountInput, parent: ParentAccount | null, metadata: EventMetadata,
    { secret = newSecret(), pricedCurrencies = null }: { secret?: string; pricedCurrencies?: readonly string[] | null } = {},
  ) {
    const accountId = randomUUID();
    const command: AccountCommand = {
      type: 'CreateAccount', accountId, parent, name: input.name, kind: input.kind, email: input.email, currency: input.currency, taxRate: input.taxRate, pricedCurrencies,
    };
    const created = accountDecider.decide(command, accountDecider.initialState());
    await this.store.append(accountStreamId(accountId), created, { expectedVersion: 0, metadata, tx });
    const kind = input.kind as AccountKind;
    const apiKeyId = randomUUID();
    const key = apiKeyDecider.decide(
      { type: 'CreateApiKey', apiKeyId, account: { id: accountId, kind, status: 'ACTIVE' }, name: 'first key', role: kind === 'PLATFORM' ? 'ADMIN' : kind, secretHash: hashSecret(secret) },
      apiKeyDecider.initialState(),
    );
    await this.store.append(apiKeyStreamId(apiKeyId), key, { expectedVersion: 0, metadata, tx });
    return { accountId, apiKeyId, secret };
  }

  /** The viewer a Bearer secret stands for; null for an unknown or revoked key. */
  async authenticate(secret: string): Promise<Viewer | null> {
    const { rows } = await this.pool.query<{ apiKeyId: string; accountId: string; role: Role; accountKind: AccountKind; accountStatus: AccountStatus; children: string[] }>(
      `SELECT k.id AS "apiKeyId", k.account_id AS "accountId", k.role, a.kind AS "accountKind", a.status AS "accountStatus",
              ARRAY(SELECT c.id FROM accounts c WHERE c.parent_id = a.id ORDER BY c.position) AS children
       FROM api_keys k JOIN accounts a ON a.id = k.account_id
       WHERE k.secret_hash = $1 AND k.revoked_at IS NULL`,
      [hashSecret(secret)],
    );
    const key = rows[0];
    if (!key) return null;
    // ADMIN, and FINANCE of the platform, see every account; anyone else their own and their customers.
    const everything = key.role === 'ADMIN' || (key.role === 'FINANCE' && key.accountKind === 'PLATFORM');
    return {
      apiKeyId: key.apiKeyId, accountId: key.accountId, accountKind: key.accountKind, accountStatus: key.accountStatus, role: key.role,
      accountIds: everything ? PLATFORM_SCOPE : [key.accountId, ...key.children],
    };
  }

  /** The standing of each key of `apiKeyIds` identity knows, in one query. */
  async keyStandings(apiKeyIds: string[]): Promise<Map<string, KeyStanding>> {
    const { rows } = await this.pool.query<KeyStanding & { id: string }>(
      `SELECT k.id, k.revoked_at IS NOT NULL AS revoked, a.status AS "accountStatus" FROM api_keys k JOIN accounts a ON a.id = k.account_id WHERE k.id = ANY($1)`,
      [apiKeyIds],
    );
    return new Map(rows.map(({ id, ...standing }) => [id, standing]));
  }

  async touch(apiKeyIds: string[]): Promise<void> {
    await this.pool.query('UPDATE api_keys SET last_used_at = now() WHERE id = ANY($1)', [apiKeyIds]);
  }

  /** A new account under the caller (a reseller's customer) or, for ADMIN, under the platform or the reseller it names; with its first key. */
  async createAccount(viewer: Viewer, input: CreateAccountInput, metadata: EventMetadata): Promise<{ account: AccountView; apiKey: ApiKeyView; secret: string }> {
    if (!input || typeof input !== 'object') throw AppError.badInput('input', 'is required');
    if (viewer.role !== 'ADMIN' && viewer.role !== 'RESELLER') throw new AppError('FORBIDDEN', `a ${viewer.role} key cannot create accounts`);
    const parentId = input.parentId ?? (viewer.role === 'RESELLER' ? viewer.accountId : await this.platformId());
    if (viewer.role === 'RESELLER' && parentId !== viewer.accountId) {
      if (inScope(parentId, viewer)) throw new AppError('FORBIDDEN', 'a reseller creates accounts under itself only');
      throw AppError.notFound(`account ${parentId}`);
    }
    // A reseller's parent is its own account, checked above; ADMIN's may be any.
    const parent = await this.account(parentId, { accountIds: PLATFORM_SCOPE });
    if (!parent) throw AppError.notFound(`account ${parentId}`);
    // A currency not the parent's must have a platform price list (the parent's was checked when it was made,
    // or is the platform's own). Billing is asked before the transaction, which holds a connection.
    const currency = input.currency;
    const priced = parent.kind !== 'RESELLER' && isIsoCurrency(currency) && currency !== parent.currency ? await this.pricedCurrencies() : null;
    const { accountId, apiKeyId, secret } = await withTransaction(this.pool, (tx) => this.open(tx, input, parent, metadata, { pricedCurrencies: priced }));
    return { account: (await this.account(accountId, { accountIds: [accountId] }))!, apiKey: (await this.apiKey(apiKeyId))!, secret };
  }

  async createApiKey(viewer: Viewer, input: CreateApiKeyInput, metadata: EventMetadata): Promise<{ apiKey: ApiKeyView; secret: string }> {
    if (!input || typeof input !== 'object') throw AppError.badInput('input', 'is required');
    const account = await this.manageable(viewer, input.accountId, 'input.accountId');
    const secret = newSecret();
    const apiKeyId = randomUUID();
    await handleCommand(this.store, apiKeyStreamId(apiKeyId), apiKeyDecider, {
      type: 'CreateApiKey', apiKeyId, account, name: input.name, role: input.role, secretHash: hashSecret(secret),
    }, metadata);
    return { apiKey: (await this.apiKey(apiKeyId))!, secret };
  }

  async revokeApiKey(viewer: Viewer, apiKeyId: unknown, metadata: EventMetadata): Promise<ApiKeyView> {
    const key = typeof apiKeyId === 'string' ? await this.apiKey(apiKeyId) : null;
    if (!key || !inScope(key.accountId, viewer)) throw AppError.notFound(`API key ${apiKeyId}`);
    await this.manageable(viewer, key.accountId, 'id');
    await handleCommand(this.store, apiKeyStreamId(key.id), apiKeyDecider, { type: 'RevokeApiKey' }, metadata);
    return (await this.apiKey(key.id))!;
  }

  /** Accounts by id, in the caller's scope (others are left out). */
  async accounts(ids: readonly string[], scope: Scope): Promise<AccountView[]> {
    const visible = ids.filter((id) => inScope(id, scope));
    if (visible.length === 0) return [];
    const { rows } = await this.pool.query<AccountRow>(`SELECT ${ACCOUNT_COLUMNS} FROM accounts WHERE id = ANY($1)`, [visible]);
    return rows.map(accountOf);
  }

  async account(id: string, scope: Scope): Promise<AccountView | null> {
    return (await this.accounts([id], scope))[0] ?? null;
  }

  /** A page of the accounts in scope, oldest first; a parent's customers when `parentId` is given. */
  async list(scope: Scope, filter: { first?: number; after?: string; parentId?: string | null }): Promise<Page<AccountView> & { totalCount: number }> {
    const size = pageSize(filter.first);
    const after = decodeCursor('account', filter.after);
    const where = 'WHERE ($1::text[] IS NULL OR id = ANY($1)) AND ($2::text IS NULL OR parent_id = $2)';
    const params = [accountsOf(scope), filter.parentId ?? null];
    const [{ rows }, count] = await Promise.all([
      this.pool.query<AccountRow>(`SELECT ${ACCOUNT_COLUMNS} FROM accounts ${where} AND position > $3 ORDER BY position LIMIT $4`, [...params, after, size + 1]),
      this.pool.query<{ total: number }>(`SELECT count(*)::integer AS total FROM accounts ${where}`, params),
    ]);
    return { ...toPage(rows, size, (row) => encodeCursor('account', row.position), accountOf), totalCount: count.rows[0].total };
  }

  async apiKey(id: string): Promise<ApiKeyView | null> {
    const { rows } = await this.pool.query(`SELECT ${KEY_COLUMNS} FROM api_keys WHERE id = $1`, [id]);
    return rows[0] ? keyOf(rows[0]) : null;
  }

  async platformId(): Promise<string> {
    const { rows } = await this.pool.query<{ id: string }>("SELECT id FROM accounts WHERE kind = 'PLATFORM'");
    if (!rows[0]) throw AppError.unavailable('the platform account is not made yet');
    return rows[0].id;
  }

  /** An account whose keys the viewer may create and revoke: ADMIN any, a reseller its own and its customers', a customer its own. */
  private async manageable(viewer: Viewer, accountId: unknown, field: string): Promise<{ id: string; kind: AccountKind; status: AccountStatus }> {
    if (typeof accountId !== 'string' || !accountId) throw AppError.badInput(field, 'is required');
    const account = await this.account(accountId, viewer);
    if (!account) throw AppError.notFound(`account ${accountId}`);
    if (viewer.role === 'FINANCE') throw new AppError('FORBIDDEN', 'a FINANCE key cannot manage API keys');
    return account;
  }
}
