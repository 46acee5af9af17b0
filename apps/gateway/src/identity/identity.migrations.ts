import type { Migration } from '#libs/event-store';

export const identityMigrations: Migration[] = [
  {
    id: '0500-identity',
    sql: `
      -- The identity projection: accounts and API keys, as their events say.
      CREATE TABLE accounts (
        id text PRIMARY KEY,
        name text NOT NULL,
        kind text NOT NULL CHECK (kind IN ('PLATFORM', 'RESELLER', 'CUSTOMER')),
        parent_id text REFERENCES accounts (id),
        currency text NOT NULL,
        email text,
        tax_rate numeric NOT NULL,
        status text NOT NULL CHECK (status IN ('ACTIVE', 'PAST_DUE', 'SUSPENDED', 'CLOSED')),
        created_at timestamptz NOT NULL,
        position bigserial NOT NULL UNIQUE
      );
      CREATE UNIQUE INDEX accounts_one_platform ON accounts (kind) WHERE kind = 'PLATFORM';
      CREATE INDEX accounts_parent ON accounts (parent_id, position);
      CREATE TABLE api_keys (
        id text PRIMARY KEY,
        account_id text NOT NULL REFERENCES accounts (id),
        name text NOT NULL,
        role text NOT NULL CHECK (role IN ('ADMIN', 'RESELLER', 'CUSTOMER', 'FINANCE')),
        secret_hash text NOT NULL UNIQUE,
        created_at timestamptz NOT NULL,
        revoked_at timestamptz,
        -- Kept by the gateway as keys are used, at most once a minute per key; not an event.
        last_used_at timestamptz
      );
      CREATE INDEX api_keys_account ON api_keys (account_id);
    `,
  },
];
