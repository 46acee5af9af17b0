import type { Migration } from '#libs/event-store';

export const instanceAddressingMigrations: Migration[] = [
  {
    // Network's read model of compute's instances, kept by the addressing consumer from compute's events.
    id: '0220-instances',
    sql: `
      CREATE TABLE instances (
        id uuid PRIMARY KEY,
        account_id text NOT NULL,
        region_id text NOT NULL,
        name text NOT NULL,
        started boolean NOT NULL DEFAULT false,
        -- deleted, or failed before it ever ran: its own addresses are gone
        ended_at timestamptz
      );
    `,
  },
];
