import { hash, randomBytes, randomUUID } from 'node:crypto';
import type pg from 'pg';
import { AppError, isIsoCurrency, PLATFORM_SCOPE, type AccountKind, type AccountScope, type AccountStatus, type CountedPage, type EventMetadata, type Scope } from '#libs/contracts';
import { handleCommand, withTransaction, type EventStore, type Sql } from '#libs/event-store';
import { accountsOf, decodeCursor, encodeCursor, inScope, pageSize, toPage } from '#libs/messaging';
import { accountDecider, accountStreamId, type AccountCommand, type ParentAccount } from './account.decider.js';
import { apiKeyDecider, apiKeyStreamId, type Role } from './api-key.decider.js';
import type { IdentityRepository } from './identity.repository.js';

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
  /** The account as it was read with an API key (a session's viewer has none): the request's lookups start with it. */
  account?: AccountView;
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

const SECRET_PREFIX = 'awan_';
// Every request's key is hashed to be looked up: the one-shot hash makes no Hash object for it.
export const hashSecret = (secret: string) => hash('sha256', secret, 'hex');
const newSecret = () => `${SECRET_PREFIX}${randomBytes(32).toString('base64url')}`;

/** The accounts a caller sees (a key's, or a signed-in person's): ADMIN, and FINANCE of the platform, every one; anyone else its own and its customers. */
export function scopeOf(role: Role, accountKind: AccountKind, accountId: string, children: readonly string[]): AccountScope {
  const everything = role === 'ADMIN' || (role === 'FINANCE' && accountKind === 'PLATFORM');
  return everything ? PLATFORM_SCOPE : [accountId, ...children];
}

/**
 * Identity: accounts and API keys, event-sourced in the gateway's own schema. Who may create
 * what is decided here (the domain's rules are in the deciders); every read takes the caller's scope.
 */
export class Identity {
  constructor(
    private readonly pool: pg.Pool,
    private readonly store: EventStore,
    private readonly repository: IdentityRepository,
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
      await this.repository.lockFirstStart(tx);
      if (await this.repository.platformId(tx)) return null;
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
    const key = await this.repository.keyHolder(hashSecret(secret));
    if (!key) return null;
    const { account } = key;
    return {
      apiKeyId: key.apiKeyId, accountId: account.id, accountKind: account.kind, accountStatus: account.status, role: key.role,
      accountIds: scopeOf(key.role, account.kind, account.id, key.children), account,
    };
  }

  /** The standing of each key of `apiKeyIds` identity knows, in one query. */
  keyStandings(apiKeyIds: string[]): Promise<Map<string, KeyStanding>> {
    return this.repository.keyStandings(apiKeyIds);
  }

  touch(apiKeyIds: string[]): Promise<void> {
    return this.repository.touch(apiKeyIds);
  }

  /** A new account under the caller (a reseller's customer) or, for ADMIN, under the platform or the reseller it names; with its first key. */
  async createAccount(
    viewer: Viewer, input: CreateAccountInput, metadata: EventMetadata,
    /** More to do in the account's transaction (a storefront's first person of it): the account is made with it or not at all. */
    within?: (tx: Sql, accountId: string) => Promise<void>,
  ): Promise<{ account: AccountView; apiKey: ApiKeyView; secret: string }> {
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
    const { accountId, apiKeyId, secret } = await withTransaction(this.pool, async (tx) => {
      const opened = await this.open(tx, input, parent, metadata, { pricedCurrencies: priced });
      await within?.(tx, opened.accountId);
      return opened;
    });
    return { account: (await this.account(accountId, { accountIds: [accountId] }))!, apiKey: (await this.repository.apiKey(apiKeyId))!, secret };
  }

  async createApiKey(viewer: Viewer, input: CreateApiKeyInput, metadata: EventMetadata): Promise<{ apiKey: ApiKeyView; secret: string }> {
    if (!input || typeof input !== 'object') throw AppError.badInput('input', 'is required');
    const account = await this.manageable(viewer, input.accountId, 'input.accountId');
    const secret = newSecret();
    const apiKeyId = randomUUID();
    await handleCommand(this.store, apiKeyStreamId(apiKeyId), apiKeyDecider, {
      type: 'CreateApiKey', apiKeyId, account, name: input.name, role: input.role, secretHash: hashSecret(secret),
    }, metadata);
    return { apiKey: (await this.repository.apiKey(apiKeyId))!, secret };
  }

  async revokeApiKey(viewer: Viewer, apiKeyId: unknown, metadata: EventMetadata): Promise<ApiKeyView> {
    const key = typeof apiKeyId === 'string' ? await this.repository.apiKey(apiKeyId) : null;
    if (!key || !inScope(key.accountId, viewer)) throw AppError.notFound(`API key ${apiKeyId}`);
    await this.manageable(viewer, key.accountId, 'id');
    await handleCommand(this.store, apiKeyStreamId(key.id), apiKeyDecider, { type: 'RevokeApiKey' }, metadata);
    return (await this.repository.apiKey(key.id))!;
  }

  /** The live keys of the accounts in scope (the contract lists none: GET /auth/api-keys answers this). */
  apiKeys(scope: Scope): Promise<ApiKeyView[]> {
    return this.repository.liveApiKeys(accountsOf(scope));
  }

  /** Accounts by id, in the caller's scope (others are left out). */
  async accounts(ids: readonly string[], scope: Scope): Promise<AccountView[]> {
    const visible = ids.filter((id) => inScope(id, scope));
    return visible.length === 0 ? [] : this.repository.accounts(visible);
  }

  async account(id: string, scope: Scope): Promise<AccountView | null> {
    return (await this.accounts([id], scope))[0] ?? null;
  }

  /** A page of the accounts in scope, oldest first; a parent's customers when `parentId` is given. */
  async list(scope: Scope, filter: { first?: number; after?: string; parentId?: string | null }): Promise<CountedPage<AccountView>> {
    const size = pageSize(filter.first);
    const { rows, total } = await this.repository.page({
      accountIds: accountsOf(scope), parentId: filter.parentId ?? null, after: decodeCursor('account', filter.after), limit: size + 1,
    });
    return { ...toPage(rows, size, (row) => encodeCursor('account', row.position), (row) => row.account), totalCount: total };
  }

  /** The PLATFORM account, whatever the caller sees: it issues invoices to accounts that see only themselves. */
  async platformAccount(): Promise<AccountView> {
    return (await this.account(await this.platformId(), { accountIds: PLATFORM_SCOPE }))!;
  }

  private async platformId(): Promise<string> {
    const id = await this.repository.platformId();
    if (!id) throw AppError.unavailable('the platform account is not made yet');
    return id;
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
