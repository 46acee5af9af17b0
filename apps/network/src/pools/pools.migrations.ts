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
  {
    // The seeded IPv4 pool had 203.0.113.0/24, and its gateway on awanbr0 took this range from the
    // host: where the host reaches something in 203.0.113.0/25 (a package mirror, say), it could
    // not while Awan ran. It moves to 203.0.113.128/25 in place, its leases renumbered (a unit is
    // an offset from the pool's first address), when it holds no live address in the lower half or
    // at the new network and gateway addresses; otherwise it stays until those are released, and
    // the agent refuses a gateway whose prefix covers what its host uses.
    id: '0202-local-ipv4-pool-upper-half',
    sql: `
      DO $$
      BEGIN
        IF EXISTS (SELECT 1 FROM pools WHERE id = 'local-ipv4' AND prefix = '203.0.113.0/24' AND gateway = '203.0.113.1')
           AND NOT EXISTS (SELECT 1 FROM ip_leases WHERE pool_id = 'local-ipv4' AND ip_id IS NOT NULL AND released_at IS NULL AND unit <= 129) THEN
          DELETE FROM ip_leases WHERE pool_id = 'local-ipv4' AND unit <= 129;
          UPDATE ip_leases SET unit = unit - 128 WHERE pool_id = 'local-ipv4';
          UPDATE pools SET prefix = '203.0.113.128/25', gateway = '203.0.113.129' WHERE id = 'local-ipv4';
          -- the network (.128) and gateway (.129) addresses; the broadcast (.255) was unit 255 and is 127 now
          INSERT INTO ip_leases (pool_id, unit) VALUES ('local-ipv4', 0), ('local-ipv4', 1) ON CONFLICT DO NOTHING;
        END IF;
      END $$;
    `,
  },
  {
    // Pools become events (IpPoolCreated, IpPoolRetired) and this table their projection. The pools
    // made before (the seeded ones, an admin's) are the start: each is recorded as created as it
    // stands now, at its created_at, and a retired one as retired now, as when it was is not kept.
    // Numbered after ip_addresses (0210), whose reference to its pool becomes deferrable too, so a
    // rebuild of this projection may empty the table and fill it again in one transaction.
    id: '0230-pools-as-events',
    sql: `
      ALTER TABLE pools ADD COLUMN retired_at timestamptz;
      -- to the millisecond, as events carry their time: a rebuild gives the same rows
      UPDATE pools SET created_at = date_trunc('milliseconds', created_at), retired_at = CASE WHEN active THEN NULL ELSE date_trunc('milliseconds', now()) END;
      ALTER TABLE pools DROP COLUMN active;
      ALTER TABLE pools ADD COLUMN active boolean GENERATED ALWAYS AS (retired_at IS NULL) STORED;
      ALTER TABLE ip_leases ALTER CONSTRAINT ip_leases_pool_id_fkey DEFERRABLE;
      ALTER TABLE ip_addresses ALTER CONSTRAINT ip_addresses_pool_id_fkey DEFERRABLE;
      INSERT INTO events (event_id, stream_id, version, type, data, metadata, occurred_at)
      SELECT gen_random_uuid(), 'pool-' || p.id, e.version, e.type, e.data,
             '{"correlationId": "0230-pools-as-events", "causationId": null, "actor": {"kind": "system"}}', e.occurred_at
      FROM pools p
      CROSS JOIN LATERAL (VALUES
        (1, 'IpPoolCreated', jsonb_build_object('poolId', p.id, 'regionId', p.region_id, 'family', p.family, 'prefix', p.prefix::text,
           'gateway', host(p.gateway), 'assignmentLength', p.assignment_length, 'reserved', to_jsonb(p.reserved), 'bridge', p.bridge), p.created_at),
        (2, 'IpPoolRetired', jsonb_build_object('poolId', p.id), p.retired_at)
      ) AS e(version, type, data, occurred_at)
      WHERE e.version = 1 OR p.retired_at IS NOT NULL
      ORDER BY p.position, e.version;
    `,
  },
];
