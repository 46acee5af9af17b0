import type { Migration } from '#libs/event-store';

export const snapshotsMigrations: Migration[] = [
  {
    id: '0500-snapshots',
    sql: `
      -- The snapshots projection, from the snapshot events of the instances' streams.
      CREATE TABLE snapshots (
        id uuid PRIMARY KEY,
        instance_id uuid NOT NULL,
        account_id text NOT NULL,
        name text NOT NULL,
        status text NOT NULL,
        size_mb integer,
        failure_reason text,
        -- the version of the instance's event that asked for the snapshot's create or delete under way: what a timeout fails
        operation_version integer,
        status_since timestamptz NOT NULL,
        created_at timestamptz NOT NULL
      );
      CREATE INDEX snapshots_instance ON snapshots (instance_id, created_at);
      CREATE INDEX snapshots_busy ON snapshots (status_since) WHERE status IN ('CREATING', 'DELETING');
    `,
  },
];
