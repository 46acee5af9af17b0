import { type AccountKind, AppError, type EventEnvelope, type IdentityEvents, type Scope } from '#libs/contracts';
import type { Sql } from '#libs/event-store';
import { inScope } from '#libs/messaging';
import { PLATFORM } from '../prices/price-list.decider.js';

export interface BillingAccount {
  id: string;
  name: string;
  kind: AccountKind;
  parentId: string | null;
  currency: string;
  taxRate: string;
  /** Where its invoices are sent; null where it was made without one. */
  email: string | null;
  /** The platform, or the account's reseller: who invoices it, at whose prices. */
  issuerId: string;
}

const ACCOUNT_COLUMNS = `a.id, a.name, a.kind, a.parent_id AS "parentId", a.currency, a.tax_rate::text AS "taxRate", a.email,
  CASE WHEN p.kind = 'RESELLER' THEN p.id ELSE '${PLATFORM}' END AS "issuerId"`;

/** Billing's copy of identity's accounts, kept by a durable consumer of the IDENTITY stream. */
export class Accounts {
  /** Records identity's AccountCreated (the consumer's only event type). */
  static async record(event: EventEnvelope, tx: Sql): Promise<void> {
    const a = event.data as IdentityEvents['AccountCreated'];
    await tx.query(
      `INSERT INTO accounts (id, name, kind, parent_id, currency, tax_rate, email, created_at) VALUES ($1, $2, $3, $4, $5, $6, $7, $8)
       ON CONFLICT (id) DO NOTHING`,
      [a.accountId, a.name, a.kind, a.parentId, a.currency, a.taxRate, a.email ?? null, event.occurredAt],
    );
  }

  static async find(sql: Sql, accountId: string): Promise<BillingAccount | null> {
    const { rows } = await sql.query<BillingAccount>({
      name: 'billing_account', text: `SELECT ${ACCOUNT_COLUMNS} FROM accounts a LEFT JOIN accounts p ON p.id = a.parent_id WHERE a.id = $1`, values: [accountId],
    });
    return rows[0] ?? null;
  }

  /** Those of the accounts billing knows, in no particular order. */
  static async findMany(sql: Sql, accountIds: readonly string[]): Promise<BillingAccount[]> {
    const { rows } = await sql.query<BillingAccount>(`SELECT ${ACCOUNT_COLUMNS} FROM accounts a LEFT JOIN accounts p ON p.id = a.parent_id WHERE a.id = ANY($1)`, [accountIds]);
    return rows;
  }

  /** The ids of the accounts billing knows, of those listed (null: every one). */
  static async idsIn(sql: Sql, accounts: string[] | null): Promise<string[]> {
    const { rows } = await sql.query<{ id: string }>('SELECT id FROM accounts WHERE $1::text[] IS NULL OR id = ANY($1)', [accounts]);
    return rows.map((row) => row.id);
  }

  /** The account, or NOT_FOUND when billing does not know it or the caller may not see it. */
  static async get(sql: Sql, accountId: unknown, scope: Scope, field = 'accountId'): Promise<BillingAccount> {
    if (typeof accountId !== 'string' || !accountId) throw AppError.badInput(field, 'is required');
    const account = inScope(accountId, scope) ? await Accounts.find(sql, accountId) : null;
    if (!account) throw AppError.notFound(`account ${accountId}`);
    return account;
  }
}
