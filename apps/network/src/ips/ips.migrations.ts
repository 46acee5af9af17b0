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
];
