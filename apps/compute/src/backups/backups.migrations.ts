import type { Migration } from '#libs/event-store';

export const backupsMigrations: Migration[] = [
  {
    id: '0600-backups',
    sql: `
      -- The backups projection, from the backups' own streams (and the instance's request, for its version).
      CREATE TABLE backups (
        id uuid PRIMARY KEY,
        instance_id uuid NOT NULL,
        account_id text NOT NULL,
        region_id text NOT NULL,
        kind text NOT NULL,
        plan_id text NOT NULL,
        image_id text NOT NULL,
        billing_cycle text NOT NULL,
        instance_name text NOT NULL,
        scheduled boolean NOT NULL,
        status text NOT NULL,
        size_mb integer,
        failure_reason text,
        -- the version of the instance's InstanceBackupRequested while it is being taken: what a timeout fails
        operation_version integer,
        status_since timestamptz NOT NULL,
        created_at timestamptz NOT NULL,
        -- the lists' order, newest first
        position bigserial NOT NULL
      );
      CREATE INDEX backups_account ON backups (account_id, position);
      CREATE INDEX backups_instance ON backups (instance_id, position);
      CREATE INDEX backups_busy ON backups (status_since) WHERE status IN ('CREATING', 'DELETING');

      -- The backup_schedules projection: each instance's daily schedule, from its stream, gone with the instance.
      CREATE TABLE backup_schedules (
        instance_id uuid PRIMARY KEY,
        account_id text NOT NULL,
        hour_utc smallint NOT NULL,
        keep smallint NOT NULL,
        set_at timestamptz NOT NULL
      );

      -- A schedule runs once a day across compute's replicas: the one whose claim of the day is inserted
      -- (with the backup's events, in one transaction) runs it. Not a projection: claims are kept as made.
      CREATE TABLE backup_schedule_runs (
        instance_id uuid NOT NULL,
        day date NOT NULL,
        backup_id uuid NOT NULL,
        PRIMARY KEY (instance_id, day)
      );
    `,
  },
];
