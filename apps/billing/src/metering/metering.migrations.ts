import type { Migration } from '#libs/event-store';

export const meteringMigrations: Migration[] = [
  {
    id: '0310-metering',
    sql: `
      -- Every billed event as it arrived from compute or network, once: the meter's input.
      CREATE TABLE meter_events (
        event_id uuid PRIMARY KEY,
        resource_id text NOT NULL,
        version integer NOT NULL,
        type text NOT NULL,
        occurred_at timestamptz NOT NULL,
        data jsonb NOT NULL
      );
      CREATE INDEX meter_events_resource ON meter_events (resource_id, version);
      -- A billed resource: an instance, or a floating IPv4. Its life so far lets rating apply the
      -- minimum or the started hour without reading every segment it ever had.
      CREATE TABLE resources (
        id text PRIMARY KEY,
        type text NOT NULL CHECK (type IN ('INSTANCE', 'IPV4')),
        account_id text NOT NULL,
        name text NOT NULL,
        billing_cycle text NOT NULL CHECK (billing_cycle IN ('HOURLY', 'MONTHLY')),
        billable boolean NOT NULL,
        closed_seconds bigint NOT NULL,
        open_since timestamptz,
        ended_at timestamptz
      );
      CREATE INDEX resources_account ON resources (account_id);
      -- The meter's output, recomputed from meter_events whenever one arrives. A segment's id is
      -- the id of the event that opened it.
      CREATE TABLE usage_segments (
        id uuid PRIMARY KEY,
        resource_id text NOT NULL REFERENCES resources (id),
        account_id text NOT NULL,
        sku text NOT NULL,
        state text NOT NULL,
        started_at timestamptz NOT NULL,
        ended_at timestamptz,
        opened_by uuid NOT NULL,
        closed_by uuid,
        CHECK (ended_at IS NULL OR ended_at >= started_at)
      );
      CREATE INDEX usage_segments_account ON usage_segments (account_id, started_at);
      CREATE INDEX usage_segments_resource ON usage_segments (resource_id, started_at);
      -- The months each account has billable usage in: who gets a draft when a month closes.
      CREATE TABLE usage_months (
        account_id text NOT NULL,
        month date NOT NULL,
        PRIMARY KEY (month, account_id)
      );
      -- Usage of a month whose invoice was already finalized changed: the account's next invoice
      -- carries the difference as an adjustment line.
      CREATE TABLE late_usage (
        account_id text NOT NULL,
        month date NOT NULL,
        PRIMARY KEY (account_id, month)
      );
    `,
  },
  {
    id: '0311-metering-from-first-start',
    sql: `
      -- An instance is billed from its first InstanceStarted (no longer from InstanceScheduled), and
      -- one that never ran has no segment at all (it had some, with billable = false). Every instance
      -- is folded again under the rule when billing starts (Metering.refoldQueued).
      DELETE FROM usage_segments WHERE resource_id IN (SELECT id FROM resources WHERE NOT billable);
      ALTER TABLE resources DROP COLUMN billable;
      CREATE TABLE meter_refolds (resource_id text PRIMARY KEY);
      INSERT INTO meter_refolds (resource_id) SELECT id FROM resources WHERE type = 'INSTANCE';
    `,
  },
  {
    id: '0312-stored-resources',
    sql: `
      -- Snapshots are billed resources too: stored, per GB-month of their size (null for anything else).
      ALTER TABLE resources DROP CONSTRAINT resources_type_check;
      ALTER TABLE resources ADD CONSTRAINT resources_type_check CHECK (type IN ('INSTANCE', 'IPV4', 'SNAPSHOT'));
      ALTER TABLE resources ADD COLUMN size_mb integer CHECK (size_mb IS NULL OR size_mb >= 0);
    `,
  },
  {
    id: '0313-backup-resources',
    sql: `
      -- Backups are billed resources too, stored per GB-month like snapshots, each from a stream of its own.
      ALTER TABLE resources DROP CONSTRAINT resources_type_check;
      ALTER TABLE resources ADD CONSTRAINT resources_type_check CHECK (type IN ('INSTANCE', 'IPV4', 'SNAPSHOT', 'BACKUP'));
    `,
  },
  {
    id: '0314-open-segments',
    sql: `
      -- An instance's open segment, found at once however many it had before: a start or a stop in
      -- order goes on from it (Metering.goOn).
      CREATE INDEX usage_segments_open ON usage_segments (resource_id) WHERE ended_at IS NULL;
    `,
  },
  {
    id: '0315-segments-by-account-and-end',
    sql: `
      -- An account's segments in a month are those open or ended since it began: found by their end, rating
      -- a month reads that month's, where by their start it read every segment the account ever had.
      CREATE INDEX usage_segments_account_end ON usage_segments (account_id, ended_at);
      DROP INDEX usage_segments_account;
    `,
  },
  {
    id: '0316-usage-changes',
    sql: `
      -- How many times each account's usage changed: a finalize compares it, under the account's usage lock,
      -- with what it was when the invoice was rated (Metering.usageChanged).
      CREATE TABLE usage_changes (account_id text PRIMARY KEY, changes bigint NOT NULL);
    `,
  },
  {
    id: '0317-snapshot-meter-events',
    sql: `
      -- A snapshot's events and its instance's request and deletion, found at once however many snapshots
      -- the instance had: a snapshot's event meters that snapshot alone (Metering.record).
      CREATE INDEX meter_events_snapshot ON meter_events (resource_id, (data->>'snapshotId'))
        WHERE type IN ('InstanceRequested', 'InstanceDeleted', 'SnapshotRequested', 'SnapshotCreated', 'SnapshotDeleted');
    `,
  },
];
