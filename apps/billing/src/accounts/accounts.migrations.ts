import type { Migration } from '#libs/event-store';

export const accountsMigrations: Migration[] = [
  {
    id: '0300-accounts',
    sql: `
      -- What billing knows of identity's accounts (its AccountCreated events), and each one's standing.
      CREATE TABLE accounts (
        id text PRIMARY KEY,
        name text NOT NULL,
        kind text NOT NULL CHECK (kind IN ('PLATFORM', 'RESELLER', 'CUSTOMER')),
        parent_id text,
        currency text NOT NULL,
        tax_rate numeric NOT NULL,
        created_at timestamptz NOT NULL
      );
      CREATE INDEX accounts_parent ON accounts (parent_id);
      -- The account-standing projection: billing's own dunning events.
      CREATE TABLE account_standing (
        account_id text PRIMARY KEY,
        status text NOT NULL CHECK (status IN ('ACTIVE', 'PAST_DUE', 'SUSPENDED')),
        past_due_since timestamptz
      );
      CREATE INDEX account_standing_past_due ON account_standing (past_due_since) WHERE status = 'PAST_DUE';
    `,
  },
  {
    id: '0301-account-emails',
    sql: `
      -- Where the account's invoices are sent (AccountCreated's email, from the accounts made since).
      ALTER TABLE accounts ADD COLUMN email text;
    `,
  },
];
