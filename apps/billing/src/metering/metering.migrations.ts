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
];
