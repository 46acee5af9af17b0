import type { Migration } from '#libs/event-store';

export const ipsMigrations: Migration[] = [
  {
    id: '0210-ip-addresses',
    sql: `
      CREATE TABLE ip_addresses (
        id uuid PRIMARY KEY,
        position bigint NOT NULL,
        pool_id text NOT NULL REFERENCES pools (id),
        address inet NOT NULL,
        family text NOT NULL,
        prefix_length integer NOT NULL,
        gateway inet NOT NULL,
        region_id text NOT NULL,
        account_id text NOT NULL,
        instance_id uuid,
        floating boolean NOT NULL,
        reverse_dns text,
        allocated_at timestamptz NOT NULL,
        released_at timestamptz
      );
      -- a second backstop behind ip_leases: one live row per address
      CREATE UNIQUE INDEX ip_addresses_live_address ON ip_addresses (address) WHERE released_at IS NULL;
      CREATE INDEX ip_addresses_instance ON ip_addresses (instance_id) WHERE released_at IS NULL;
      CREATE INDEX ip_addresses_account ON ip_addresses (account_id, position);
      CREATE INDEX ip_leases_ip ON ip_leases (ip_id);
    `,
  },
  {
    // A row per free unit of each pool of up to 2^16 units (isFreeListed), so the allocator takes one
    // without searching the pool: written with the pool and by each release (released_at: free once
    // its quarantine is over), deleted by each claim. Filled here from the pools and leases as they
    // stand: a unit without a lease, or whose address was released.
    id: '0250-ip-free-units',
    sql: `
      CREATE TABLE ip_free_units (
        pool_id text NOT NULL,
        unit numeric(39, 0) NOT NULL,
        released_at timestamptz,
        PRIMARY KEY (pool_id, unit)
      );
      WITH listed AS MATERIALIZED (
        SELECT id, assignment_length - masklen(prefix) AS bits FROM pools WHERE assignment_length - masklen(prefix) <= 16
      )
      INSERT INTO ip_free_units (pool_id, unit, released_at)
      SELECT p.id, g.unit, l.released_at
      FROM listed p
      CROSS JOIN LATERAL generate_series(0, (1 << p.bits) - 1) AS g(unit)
      LEFT JOIN ip_leases l ON l.pool_id = p.id AND l.unit = g.unit
      WHERE l.unit IS NULL OR l.released_at IS NOT NULL;
    `,
  },
  {
    // What an account's floating addresses count against FLOATING_IPS_PER_ACCOUNT: those it holds, and those in quarantine.
    id: '0260-floating-ips-by-account',
    sql: 'CREATE INDEX ip_addresses_account_floating ON ip_addresses (account_id, region_id, released_at) WHERE floating',
  },
];
