import { randomBytes } from 'node:crypto';
import type pg from 'pg';
import type { ConsoleKind } from '#libs/contracts';
import type { Migration } from '#libs/event-store';
import { hashSecret } from '../identity/identity.js';

export const consoleMigrations: Migration[] = [
  {
    id: '0510-console-tokens',
    sql: `
      -- Console tokens: single-use, short-lived, bound to the key that opened the console. Only their
      -- SHA-256 is kept; in the database, so any gateway replica takes a token another one issued.
      CREATE TABLE console_tokens (
        token_hash text PRIMARY KEY,
        instance_id text NOT NULL,
        kind text NOT NULL CHECK (kind IN ('SERIAL', 'VNC')),
        api_key_id text NOT NULL,
        account_id text NOT NULL,
        role text NOT NULL,
        expires_at timestamptz NOT NULL,
        used_at timestamptz
      );
      CREATE INDEX console_tokens_expiry ON console_tokens (expires_at);
    `,
  },
];

/** What a token lets its bearer open: one console of one instance, as the key that asked for it. */
export interface ConsoleGrant {
  instanceId: string;
  kind: ConsoleKind;
  apiKeyId: string;
  accountId: string;
  role: 'ADMIN' | 'RESELLER' | 'CUSTOMER' | 'FINANCE';
}

/** How long spent and expired tokens are kept (for an operator's look), then deleted as new ones are issued. */
const KEPT_FOR = '1 day';

/** Console tokens in the gateway's schema: issued by openConsole, redeemed once by the console's WebSocket. */
export class ConsoleTokens {
  constructor(
    private readonly pool: pg.Pool,
    private readonly ttlMs: number,
  ) {}

  /** A new token (256 random bits) for `grant`, valid `ttlMs` from now by the database's clock, which every replica shares. */
  async issue(grant: ConsoleGrant): Promise<{ token: string; expiresAt: Date }> {
    const token = randomBytes(32).toString('base64url');
    await this.pool.query(`DELETE FROM console_tokens WHERE expires_at < now() - interval '${KEPT_FOR}'`);
    const { rows } = await this.pool.query<{ expires_at: Date }>(
      `INSERT INTO console_tokens (token_hash, instance_id, kind, api_key_id, account_id, role, expires_at)
       VALUES ($1, $2, $3, $4, $5, $6, now() + $7 * interval '1 millisecond') RETURNING expires_at`,
      [hashSecret(token), grant.instanceId, grant.kind, grant.apiKeyId, grant.accountId, grant.role, this.ttlMs],
    );
    return { token, expiresAt: rows[0].expires_at };
  }

  /** The grant of a token used for the first time before it expired; null for any other (unknown, used, expired). */
  async redeem(token: string): Promise<ConsoleGrant | null> {
    if (!/^[A-Za-z0-9_-]{43}$/.test(token)) return null;
    const { rows } = await this.pool.query<{ instance_id: string; kind: ConsoleKind; api_key_id: string; account_id: string; role: ConsoleGrant['role'] }>(
      `UPDATE console_tokens SET used_at = now() WHERE token_hash = $1 AND used_at IS NULL AND expires_at > now()
       RETURNING instance_id, kind, api_key_id, account_id, role`,
      [hashSecret(token)],
    );
    const row = rows[0];
    return row ? { instanceId: row.instance_id, kind: row.kind, apiKeyId: row.api_key_id, accountId: row.account_id, role: row.role } : null;
  }
}

/** Where a console's WebSocket is: `<gateway>/consoles/<token>`. */
export const CONSOLE_PATH = '/consoles/';

/**
 * Where this gateway's consoles are, as the caller reaches it: GATEWAY_PUBLIC_URL (an operator's
 * https://… behind a proxy gives wss://…) or else the Host the request came to.
 */
export function consoleOriginOf(publicUrl: string | null, host: string | string[] | undefined): string {
  if (publicUrl) return publicUrl.replace(/^http/, 'ws').replace(/\/+$/, '');
  return `ws://${typeof host === 'string' && host ? host : 'localhost'}`;
}
