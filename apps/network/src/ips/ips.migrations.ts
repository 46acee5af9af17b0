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
  {
    // An account's floating addresses in a region within FLOATING_IPS_PER_ACCOUNT, checked by PostgreSQL
    // at the commit of each allocation (Ips.allocateFloating): under the account's lock there, so that
    // allocations at once cannot together pass the limit, and so that its other allocations wait on this
    // one for its commit alone, not for a round trip of the service's as well. The limit and the
    // quarantine come from network's sessions (floatingLimitSettings); a session without them (an
    // operator's psql) checks nothing, nor does a rebuild of the addresses (it unsets the limit for its
    // transaction). The count is a statement of its own after the lock is had, so its snapshot holds every
    // allocation committed under the lock before.
    id: '0261-floating-ips-within-limit',
    sql: `
      CREATE FUNCTION floating_ips_within_limit() RETURNS trigger LANGUAGE plpgsql AS $$
      DECLARE
        per_account integer := nullif(current_setting('awan.floating_ips_per_account', true), '')::integer;
        quarantine integer := coalesce(nullif(current_setting('awan.ip_quarantine_seconds', true), '')::integer, 0);
        counted integer;
      BEGIN
        IF per_account IS NULL THEN RETURN NULL; END IF;
        PERFORM pg_advisory_xact_lock(hashtextextended('floating-ips:' || NEW.account_id || ':' || NEW.region_id, 0));
        SELECT count(*) INTO counted FROM ip_addresses
        WHERE floating AND account_id = NEW.account_id AND region_id = NEW.region_id
          AND (released_at IS NULL OR released_at > now() - make_interval(secs => quarantine));
        IF counted > per_account THEN
          RAISE EXCEPTION USING ERRCODE = 'AWQ01', MESSAGE = 'an account''s floating addresses over its limit', DETAIL = counted;
        END IF;
        RETURN NULL;
      END $$;
      CREATE CONSTRAINT TRIGGER ip_addresses_floating_within_limit AFTER INSERT ON ip_addresses
        DEFERRABLE INITIALLY DEFERRED FOR EACH ROW WHEN (NEW.floating) EXECUTE FUNCTION floating_ips_within_limit();
    `,
  },
];
