import type { Migration } from '#libs/event-store';

export const suspensionsMigrations: Migration[] = [
  {
    id: '0400-suspended-accounts',
    sql: `
      -- Accounts billing suspended for non-payment (AccountSuspended until AccountReinstated):
      -- their instances are stopped and may not be created, started, rebooted or resized.
      CREATE TABLE suspended_accounts (
        account_id text PRIMARY KEY,
        suspended_at timestamptz NOT NULL
      );

      -- The version of the last suspension or reinstatement applied from each account's billing
      -- stream: an event that is older or repeated (a redelivery) changes nothing.
      CREATE TABLE suspension_versions (
        account_id text PRIMARY KEY,
        version integer NOT NULL
      );
    `,
  },
];
