import type { Projection } from '#libs/event-store';
import type { AccountEvent } from './account.decider.js';
import type { ApiKeyEvent } from './api-key.decider.js';

/** `accounts` and `api_keys`: what the gateway authenticates and scopes every request with. */
export const identityProjection: Projection = {
  name: 'identity',
  eventTypes: ['AccountCreated', 'AccountStatusChanged', 'ApiKeyCreated', 'ApiKeyRevoked'],
  async apply(tx, recorded) {
    const event = recorded as unknown as AccountEvent | ApiKeyEvent;
    switch (event.type) {
      case 'AccountCreated': {
        const a = event.data;
        await tx.query(
          `INSERT INTO accounts (id, name, kind, parent_id, currency, email, tax_rate, status, created_at)
           VALUES ($1, $2, $3, $4, $5, $6, $7, 'ACTIVE', $8)`,
          [a.accountId, a.name, a.kind, a.parentId, a.currency, a.email, a.taxRate, recorded.occurredAt],
        );
        return;
      }
      case 'AccountStatusChanged':
        await tx.query('UPDATE accounts SET status = $2 WHERE id = $1', [event.data.accountId, event.data.status]);
        return;
      case 'ApiKeyCreated': {
        const k = event.data;
        await tx.query(
          'INSERT INTO api_keys (id, account_id, name, role, secret_hash, created_at) VALUES ($1, $2, $3, $4, $5, $6)',
          [k.apiKeyId, k.accountId, k.name, k.role, k.secretHash, recorded.occurredAt],
        );
        return;
      }
      case 'ApiKeyRevoked':
        await tx.query('UPDATE api_keys SET revoked_at = $2 WHERE id = $1', [event.data.apiKeyId, recorded.occurredAt]);
        return;
    }
  },
  async clear(tx) {
    // Keys first: they refer to accounts. Their lastUsedAt is lost with them; it is not an event.
    await tx.query('DELETE FROM api_keys');
    await tx.query('DELETE FROM accounts');
  },
};
