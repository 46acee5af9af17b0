import type { Migration } from '#libs/event-store';

export const firewallsMigrations: Migration[] = [
  {
    id: '0240-firewalls',
    sql: `
      -- the firewalls projection: each firewall (deleted ones kept, marked), and what it is attached to now
      CREATE TABLE firewalls (
        id uuid PRIMARY KEY,
        position bigint NOT NULL,
        account_id text NOT NULL,
        name text NOT NULL,
        rules jsonb NOT NULL,
        created_at timestamptz NOT NULL,
        deleted_at timestamptz
      );
      CREATE INDEX firewalls_account ON firewalls (account_id, position) WHERE deleted_at IS NULL;
      CREATE TABLE firewall_attachments (
        firewall_id uuid NOT NULL REFERENCES firewalls (id),
        instance_id uuid NOT NULL,
        position bigint NOT NULL,
        PRIMARY KEY (firewall_id, instance_id)
      );
      CREATE INDEX firewall_attachments_instance ON firewall_attachments (instance_id, position);

      -- the instance-filters projection: each instance's filter stream's version
      CREATE TABLE instance_filters (
        instance_id uuid PRIMARY KEY,
        revision integer NOT NULL
      );
    `,
  },
  {
    id: '0241-firewall-versions',
    sql: `
      -- Each firewall's stream version beside its row, which keeps its state: a command decides from
      -- the row and its attachments (the projection's keeps), never from a row behind its stream.
      ALTER TABLE firewalls ADD COLUMN version integer NOT NULL DEFAULT 0;
      UPDATE firewalls f SET version = coalesce((SELECT max(e.version) FROM events e WHERE e.stream_id = 'firewall-' || f.id), 0);
    `,
  },
  {
    id: '0242-firewalls-within-limit',
    // An account's live firewalls counted at each create's commit, as its floating addresses are
    // (0261): the account's lock is held for the commit alone, where it was held through the
    // create's every statement. The limit comes from network's session settings.
    sql: `
      CREATE FUNCTION firewalls_within_limit() RETURNS trigger LANGUAGE plpgsql AS $$
      DECLARE
        per_account integer := nullif(current_setting('awan.firewalls_per_account', true), '')::integer;
        counted integer;
      BEGIN
        IF per_account IS NULL THEN RETURN NULL; END IF;
        PERFORM pg_advisory_xact_lock(hashtextextended('firewalls:' || NEW.account_id, 0));
        SELECT count(*) INTO counted FROM firewalls WHERE account_id = NEW.account_id AND deleted_at IS NULL;
        IF counted > per_account THEN
          RAISE EXCEPTION USING ERRCODE = 'AWQ01', MESSAGE = 'an account''s firewalls over its limit', DETAIL = counted;
        END IF;
        RETURN NULL;
      END $$;
      CREATE CONSTRAINT TRIGGER firewalls_within_limit AFTER INSERT ON firewalls
        DEFERRABLE INITIALLY DEFERRED FOR EACH ROW EXECUTE FUNCTION firewalls_within_limit();
    `,
  },
];
