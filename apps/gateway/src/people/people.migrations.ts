import type { Migration } from '#libs/event-store';

/**
 * People: users who sign in, their one-time links, sessions and failed sign-ins. Not events:
 * a password's hash or a TOTP secret must not travel on the IDENTITY stream, and a session or a
 * link lives hours. Only hashes of tokens and passwords are kept (a TOTP secret is needed as it is).
 */
export const peopleMigrations: Migration[] = [
  {
    id: '0520-people',
    sql: `
      CREATE TABLE users (
        id text PRIMARY KEY,
        account_id text NOT NULL REFERENCES accounts (id),
        email text NOT NULL,
        -- The email in lower case: one user per address, whatever its case.
        email_key text NOT NULL UNIQUE,
        name text NOT NULL,
        role text NOT NULL CHECK (role IN ('ADMIN', 'RESELLER', 'CUSTOMER', 'FINANCE')),
        password_hash text,
        totp_secret text,
        -- A secret offered by /auth/totp, enabled once a code of it is confirmed.
        totp_pending text,
        totp_last_step bigint,
        invited_by text NOT NULL,
        created_at timestamptz NOT NULL DEFAULT now(),
        password_set_at timestamptz
      );
      CREATE INDEX users_account ON users (account_id);
      -- One-time links (setting a password): the token's SHA-256, good once before it expires.
      CREATE TABLE user_links (
        token_hash text PRIMARY KEY,
        user_id text NOT NULL REFERENCES users (id),
        created_at timestamptz NOT NULL DEFAULT now(),
        expires_at timestamptz NOT NULL,
        used_at timestamptz
      );
      CREATE INDEX user_links_user ON user_links (user_id, created_at);
      CREATE INDEX user_links_expiry ON user_links (expires_at);
      CREATE TABLE sessions (
        id text PRIMARY KEY,
        token_hash text NOT NULL UNIQUE,
        csrf_hash text NOT NULL,
        user_id text NOT NULL REFERENCES users (id),
        created_at timestamptz NOT NULL DEFAULT now(),
        expires_at timestamptz NOT NULL,
        ended_at timestamptz,
        address text
      );
      CREATE INDEX sessions_user ON sessions (user_id);
      CREATE INDEX sessions_expiry ON sessions (expires_at);
      -- Failed sign-ins, by 'email:<email_key>' and by 'address:<ip>', for the lockout's window.
      CREATE TABLE sign_in_failures (
        subject text NOT NULL,
        at timestamptz NOT NULL DEFAULT now()
      );
      CREATE INDEX sign_in_failures_subject ON sign_in_failures (subject, at);
      CREATE INDEX sign_in_failures_at ON sign_in_failures (at);
    `,
  },
  {
    id: '0530-storefronts',
    sql: `
      -- A reseller's storefront settings: its public page's path (/store/<slug>), its brand's colour,
      -- and whether the page takes sign-ups. Settings, not events: nothing else follows them.
      CREATE TABLE storefronts (
        account_id text PRIMARY KEY REFERENCES accounts (id),
        slug text NOT NULL UNIQUE,
        brand_colour text NOT NULL,
        enabled boolean NOT NULL,
        updated_at timestamptz NOT NULL DEFAULT now()
      );
      -- Sign-ups through any storefront, by address, for the per-address limit's window.
      CREATE TABLE storefront_sign_ups (
        address text NOT NULL,
        at timestamptz NOT NULL DEFAULT now()
      );
      CREATE INDEX storefront_sign_ups_address ON storefront_sign_ups (address, at);
    `,
  },
  {
    id: '0540-link-mails',
    sql: `
      -- A link's mail is retried until sent (LinkMails): what it says (purpose), when it went out,
      -- and, until then, when it is tried next, how often it was and how it last failed. Links made
      -- before this were mailed (or lost) already.
      ALTER TABLE user_links
        ADD COLUMN purpose text NOT NULL DEFAULT 'reset' CHECK (purpose IN ('invitation', 'reset')),
        ADD COLUMN mailed_at timestamptz,
        ADD COLUMN mail_due_at timestamptz,
        ADD COLUMN mail_attempts integer NOT NULL DEFAULT 0,
        ADD COLUMN mail_error text;
      UPDATE user_links SET mailed_at = created_at;
      ALTER TABLE user_links ALTER COLUMN purpose DROP DEFAULT;
      CREATE INDEX user_links_mail_due ON user_links (mail_due_at) WHERE mailed_at IS NULL AND used_at IS NULL;
    `,
  },
];
