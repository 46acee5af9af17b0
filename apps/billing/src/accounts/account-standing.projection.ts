import type { Projection } from '#libs/event-store';
import type { AccountStandingEvent } from './account-standing.decider.js';

/** `account_standing`: which accounts are PAST_DUE (since when) or SUSPENDED; an account not in it is ACTIVE. */
export const accountStandingProjection: Projection = {
  name: 'account-standing',
  eventTypes: ['AccountPastDue', 'AccountSuspended', 'AccountReinstated'],
  async apply(tx, recorded) {
    const event = recorded as unknown as AccountStandingEvent;
    const { accountId } = event.data;
    if (event.type === 'AccountReinstated') {
      await tx.query('DELETE FROM account_standing WHERE account_id = $1', [accountId]);
      return;
    }
    const status = event.type === 'AccountPastDue' ? 'PAST_DUE' : 'SUSPENDED';
    await tx.query(
      `INSERT INTO account_standing (account_id, status, past_due_since) VALUES ($1, $2, $3)
       ON CONFLICT (account_id) DO UPDATE SET status = $2, past_due_since = coalesce(account_standing.past_due_since, $3)`,
      [accountId, status, recorded.occurredAt],
    );
  },
  async clear(tx) {
    await tx.query('DELETE FROM account_standing');
  },
};
