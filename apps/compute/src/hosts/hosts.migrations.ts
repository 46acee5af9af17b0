import type { Migration } from '#libs/event-store';

export const hostsMigrations: Migration[] = [
  {
    id: '0200-hosts',
    sql: `
      -- The hosts projection: what the host events say.
      CREATE TABLE hosts (
        id text PRIMARY KEY,
        name text NOT NULL,
        region_id text NOT NULL,
        status text NOT NULL CHECK (status IN ('UP', 'DOWN', 'MAINTENANCE')),
        maintenance boolean NOT NULL DEFAULT false,
        down boolean NOT NULL DEFAULT false,
        registered_at timestamptz NOT NULL
      );
      -- What the agents' heartbeats say and what the scheduler reserved: not events, so a
      -- rebuild of the projection leaves it alone.
      CREATE TABLE host_resources (
        host_id text PRIMARY KEY,
        kinds text[] NOT NULL,
        vcpus integer NOT NULL,
        memory_mb integer NOT NULL,
        disk_gb integer NOT NULL,
        cpu_ratio numeric(6, 2) NOT NULL DEFAULT 4.0,
        memory_ratio numeric(6, 2) NOT NULL DEFAULT 1.0,
        disk_ratio numeric(6, 2) NOT NULL DEFAULT 1.0,
        reserved_vcpus integer NOT NULL DEFAULT 0,
        reserved_memory_mb integer NOT NULL DEFAULT 0,
        reserved_disk_gb integer NOT NULL DEFAULT 0,
        agent_allocated jsonb NOT NULL DEFAULT '{}',
        last_heartbeat_at timestamptz NOT NULL
      );
      CREATE TABLE host_reservations (
        instance_id uuid PRIMARY KEY,
        host_id text NOT NULL,
        vcpus integer NOT NULL,
        memory_mb integer NOT NULL,
        disk_gb integer NOT NULL,
        reserved_at timestamptz NOT NULL DEFAULT now()
      );
      CREATE INDEX host_reservations_host ON host_reservations (host_id);
    `,
  },
  {
    id: '0201-host-fencing',
    sql: `
      -- How long the host's agent goes without the control plane before it fences itself, as its
      -- heartbeats say: only a host that fences before it is marked DOWN has its instances restarted elsewhere.
      ALTER TABLE host_resources ADD COLUMN fence_timeout_ms integer;
    `,
  },
  {
    id: '0202-host-enrolment',
    sql: `
      -- A retired host stays for its instances' history, but is listed no more.
      ALTER TABLE hosts ADD COLUMN retired_at timestamptz;
      -- The NATS users enrolments made for each host (public keys only: the credentials are shown
      -- once and never kept); revoked by the next enrolment or the host's retirement. Part of the
      -- hosts projection: the revocations NATS must know are read from here.
      CREATE TABLE host_credentials (
        user_key text PRIMARY KEY,
        host_id text NOT NULL,
        issued_at timestamptz NOT NULL,
        revoked_at timestamptz
      );
      CREATE INDEX host_credentials_live ON host_credentials (host_id) WHERE revoked_at IS NULL;
    `,
  },
  {
    id: '0203-host-agent-start',
    sql: `
      -- When the host's running agent started (HostAgentStarted): a heartbeat that says otherwise is a new agent's.
      ALTER TABLE hosts ADD COLUMN agent_started_at timestamptz;
    `,
  },
  {
    id: '0204-host-room',
    sql: `
      -- What a host may promise in all (its capacity times its overcommit ratio, rounded down), kept
      -- by PostgreSQL; bigint, so no ratio makes a heartbeat overflow.
      ALTER TABLE host_resources
        ADD COLUMN vcpus_limit bigint GENERATED ALWAYS AS (floor(vcpus * cpu_ratio)) STORED,
        ADD COLUMN memory_limit_mb bigint GENERATED ALWAYS AS (floor(memory_mb * memory_ratio)) STORED,
        ADD COLUMN disk_limit_gb bigint GENERATED ALWAYS AS (floor(disk_gb * disk_ratio)) STORED;
      -- The scheduler's order within each host shape (limits alike): the least reserved memory, then
      -- CPU, then id, which is rankHosts' own order among hosts of one shape. A placement reads the
      -- first few of each shape, not the whole region.
      CREATE INDEX host_resources_room ON host_resources
        (memory_limit_mb, vcpus_limit, reserved_memory_mb, reserved_vcpus, host_id COLLATE "C");
      -- The reservations the sweep has not seen yet, by age.
      CREATE INDEX host_reservations_age ON host_reservations (reserved_at);
    `,
  },
];
