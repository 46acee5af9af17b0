import type { Migration } from '#libs/event-store';

export const poolsMigrations: Migration[] = [
  {
    id: '0200-pools',
    sql: `
      CREATE TABLE pools (
        id text PRIMARY KEY,
        position bigint GENERATED ALWAYS AS IDENTITY,
        region_id text NOT NULL,
        family text NOT NULL CHECK (family IN ('IPV4', 'IPV6')),
        prefix cidr NOT NULL,
        gateway inet NOT NULL,
        assignment_length integer NOT NULL,
        reserved text[] NOT NULL DEFAULT '{}',
        bridge text NOT NULL,
        active boolean NOT NULL DEFAULT true,
        created_at timestamptz NOT NULL DEFAULT now(),
        -- the backstop behind the service's own check, for two admins creating at once
        CONSTRAINT pools_do_not_overlap EXCLUDE USING gist (prefix inet_ops WITH &&)
      );
      -- A unit (an address, or a /64) is taken while its row says so; the primary key is what
      -- makes two allocators never hand out the same one. ip_id NULL: kept out by the pool itself.
      CREATE TABLE ip_leases (
        pool_id text NOT NULL REFERENCES pools (id),
        unit numeric(39, 0) NOT NULL,
        ip_id uuid,
        released_at timestamptz,
        PRIMARY KEY (pool_id, unit)
      );
    `,
  },
  {
    // The development region's pools, in documentation ranges only. Their excluded units are
    // what pool creation computes: IPv4's network (0), gateway (1) and broadcast (255); IPv6's
    // subnet-router anycast (0) and gateway (1).
    id: '0201-local-pools',
    sql: `
      INSERT INTO pools (id, region_id, family, prefix, gateway, assignment_length, bridge) VALUES
        ('local-ipv4', 'local', 'IPV4', '203.0.113.0/24', '203.0.113.1', 32, 'awanbr0'),
        ('local-ipv6', 'local', 'IPV6', '2001:db8:113::/64', '2001:db8:113::1', 128, 'awanbr0');
      INSERT INTO ip_leases (pool_id, unit) VALUES
        ('local-ipv4', 0), ('local-ipv4', 1), ('local-ipv4', 255), ('local-ipv6', 0), ('local-ipv6', 1);
    `,
  },
];
