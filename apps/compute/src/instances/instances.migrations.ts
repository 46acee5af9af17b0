import type { Migration } from '#libs/event-store';

export const instancesMigrations: Migration[] = [
  {
    id: '0300-instances',
    sql: `
      -- The instances projection. state is the decider's state, so the projection folds with
      -- the decider's own evolve and the two never disagree on a status.
      CREATE TABLE instances (
        id uuid PRIMARY KEY,
        -- the InstanceRequested event's global position: list order and cursor, stable under inserts
        position bigint NOT NULL UNIQUE,
        account_id text NOT NULL,
        name text NOT NULL,
        kind text NOT NULL,
        image_id text NOT NULL,
        plan_id text NOT NULL,
        region_id text NOT NULL,
        billing_cycle text NOT NULL,
        host_id text,
        status text NOT NULL,
        status_since timestamptz NOT NULL,
        failure_reason text,
        -- the plan's size, counted against the account's quota until the instance is deleted
        vcpus integer NOT NULL,
        memory_mb integer NOT NULL,
        disk_gb integer NOT NULL,
        state jsonb NOT NULL,
        created_at timestamptz NOT NULL,
        updated_at timestamptz NOT NULL
      );
      -- a live instance's name is its DNS name in the region: one of each
      CREATE UNIQUE INDEX instances_live_name ON instances (region_id, name) WHERE status <> 'DELETED';
      CREATE INDEX instances_account ON instances (account_id, position);
      CREATE INDEX instances_status ON instances (status, position);
      CREATE INDEX instances_transitional ON instances (status_since)
        WHERE status IN ('PENDING', 'PROVISIONING', 'REBOOTING', 'RESIZING', 'MIGRATING', 'DELETING');

      -- What the create request said beyond the contract event: not published, kept until deletion.
      CREATE TABLE instance_boot_configs (
        instance_id uuid PRIMARY KEY,
        ssh_keys text[] NOT NULL,
        user_data text
      );

      -- createInstance's idempotency keys, per account, honoured for 24 hours.
      CREATE TABLE instance_idempotency_keys (
        account_id text NOT NULL,
        key text NOT NULL,
        instance_id uuid NOT NULL,
        created_at timestamptz NOT NULL DEFAULT now(),
        PRIMARY KEY (account_id, key)
      );

      -- Per-account quota overrides set by ADMIN; the service's defaults apply elsewhere.
      CREATE TABLE account_quotas (
        account_id text PRIMARY KEY,
        instances integer NOT NULL CHECK (instances >= 0),
        vcpus integer NOT NULL CHECK (vcpus >= 0),
        memory_mb integer NOT NULL CHECK (memory_mb >= 0)
      );
    `,
  },
  {
    id: '0301-idempotency-fingerprints-and-transitions',
    sql: `
      -- What the request with the key asked for: the same key with other parameters is refused.
      -- Keys recorded before this have none, and match any request.
      ALTER TABLE instance_idempotency_keys ADD COLUMN fingerprint text;
      -- STARTING and STOPPING are transitional statuses too.
      DROP INDEX instances_transitional;
      CREATE INDEX instances_transitional ON instances (status_since)
        WHERE status IN ('PENDING', 'PROVISIONING', 'STARTING', 'STOPPING', 'REBOOTING', 'RESIZING', 'MIGRATING', 'DELETING');
    `,
  },
  {
    id: '0302-instances-deleted',
    sql: `
      -- The instances deleted lately, for the reservation sweep.
      CREATE INDEX instances_deleted ON instances (status_since) WHERE status = 'DELETED';
    `,
  },
  {
    id: '0303-instances-fqdn',
    sql: `
      -- Its name in DNS, kept on its row: neither its name nor its region's zone changes, and every
      -- read of an instance joined its region for it, which was much of what planning one cost.
      -- (A migration that changes a region's zone changes its instances' names with it.)
      ALTER TABLE instances ADD COLUMN fqdn text;
      UPDATE instances i SET fqdn = i.name || '.' || i.region_id || '.' || r.dns_zone FROM regions r WHERE r.id = i.region_id;
      ALTER TABLE instances ALTER COLUMN fqdn SET NOT NULL;
    `,
  },
  {
    id: '0304-instances-by-host',
    sql: `
      -- A host's instances, as the watcher reads those of hosts in maintenance or DOWN every few
      -- seconds: by host, not by a scan of every instance for each such host.
      CREATE INDEX instances_host ON instances (host_id);
    `,
  },
  {
    id: '0305-host-leftovers',
    sql: `
      -- Instances deleted while their (fenced) host was DOWN, to delete on it once it is back.
      CREATE TABLE host_leftovers (
        instance_id uuid PRIMARY KEY,
        host_id text NOT NULL,
        next_attempt_at timestamptz NOT NULL DEFAULT now()
      );
    `,
  },
];
