import type { Migration } from '#libs/event-store';

export const invoicesMigrations: Migration[] = [
  {
    id: '0330-invoices',
    sql: `
      -- The invoices projection.
      CREATE TABLE invoices (
        id uuid PRIMARY KEY,
        position bigint NOT NULL,
        account_id text NOT NULL,
        issuer_id text NOT NULL,
        currency text NOT NULL,
        period_start timestamptz NOT NULL,
        period_end timestamptz NOT NULL,
        status text NOT NULL CHECK (status IN ('DRAFT', 'FINALIZED', 'PAID', 'VOID')),
        number text UNIQUE,
        subtotal numeric,
        tax numeric,
        total numeric,
        credited numeric NOT NULL DEFAULT 0,
        issued_at timestamptz,
        paid_at timestamptz,
        payment_reference text,
        void_reason text,
        UNIQUE (account_id, period_start)
      );
      CREATE INDEX invoices_period ON invoices (period_start);
      CREATE INDEX invoices_issuer ON invoices (issuer_id, position);
      CREATE TABLE credit_notes (
        id uuid PRIMARY KEY,
        invoice_id uuid NOT NULL REFERENCES invoices (id),
        number text NOT NULL UNIQUE,
        amount numeric NOT NULL,
        reason text NOT NULL,
        issued_at timestamptz NOT NULL
      );
      CREATE INDEX credit_notes_invoice ON credit_notes (invoice_id);
      -- A finalized invoice's lines, written once in the transaction that finalizes it (too many
      -- for an event that NATS carries) and never changed: the trigger refuses it.
      CREATE TABLE invoice_lines (
        id uuid PRIMARY KEY,
        invoice_id uuid NOT NULL,
        line_no integer NOT NULL,
        description text NOT NULL,
        resource_id text,
        resource_type text NOT NULL,
        account_id text NOT NULL,
        sku text NOT NULL,
        quantity numeric NOT NULL,
        unit text NOT NULL,
        unit_price numeric NOT NULL,
        amount numeric NOT NULL,
        period_start timestamptz NOT NULL,
        period_end timestamptz NOT NULL,
        usage jsonb NOT NULL,
        UNIQUE (invoice_id, line_no)
      );
      CREATE INDEX invoice_lines_resource_period ON invoice_lines (resource_id, period_start);
      CREATE FUNCTION invoice_lines_are_final() RETURNS trigger LANGUAGE plpgsql AS $$
        BEGIN RAISE EXCEPTION 'a finalized invoice''s lines never change'; END $$;
      CREATE TRIGGER invoice_lines_final BEFORE UPDATE OR DELETE ON invoice_lines
        FOR EACH ROW EXECUTE FUNCTION invoice_lines_are_final();
      -- Gapless numbers: the counter moves in the transaction that uses the number.
      CREATE TABLE document_numbers (
        issuer_id text NOT NULL,
        series text NOT NULL,
        year integer NOT NULL,
        last integer NOT NULL,
        PRIMARY KEY (issuer_id, series, year)
      );
      -- Months the close job has drafted.
      CREATE TABLE closed_months (month date PRIMARY KEY, closed_at timestamptz NOT NULL DEFAULT now());
    `,
  },
  {
    id: '0331-invoice-lines-one-index-less',
    // Nothing looks lines up by resource (adjustments find them through their invoices): the index
    // only cost every finalize an insert per line.
    sql: 'DROP INDEX IF EXISTS invoice_lines_resource_period',
  },
  {
    id: '0332-invoice-line-usage-packed',
    // A line's usage packed as line-usage.ts writes it (under half the bytes), in json, stored as it
    // comes: jsonb's objects, naming every field, were most of what finalizing wrote. The lines
    // frozen before are packed the same way, their content kept (the rewrite fires no trigger).
    sql: `
      CREATE FUNCTION pg_temp.packed_usage(usage jsonb, sku text, resource_id text) RETURNS json LANGUAGE sql IMMUTABLE AS $$
        SELECT coalesce(json_agg(json_build_array(
          u->>'segmentId', u->>'state', u->>'startedAt', u->>'endedAt', u->'seconds', u->>'closedBy',
          nullif(u->>'openedBy', u->>'segmentId'), nullif(u->>'sku', sku), nullif(u->>'resourceId', resource_id)
        ) ORDER BY n), '[]')
        FROM jsonb_array_elements(usage) WITH ORDINALITY AS e (u, n) $$;
      ALTER TABLE invoice_lines ALTER COLUMN usage TYPE json USING pg_temp.packed_usage(usage, sku, resource_id);
      DROP FUNCTION pg_temp.packed_usage(jsonb, text, text);
    `,
  },
  {
    id: '0333-invoice-lines-keyed-by-invoice',
    // Lines are read by invoice, in order, and never by id (a line's id is a hash of its invoice and
    // what it is, so it is unique with them): the index on id only cost every line frozen an insert
    // at a random place. Their key is the unique (invoice_id, line_no) they have had from the start:
    // a new primary key on it would build its index again, the table locked, over years of lines.
    sql: `ALTER TABLE invoice_lines DROP CONSTRAINT invoice_lines_pkey;`,
  },
  {
    id: '0334-closed-months-drafted',
    // A month is closed (usage changing it from then on is marked late) before its drafts are made, and
    // drafted once they all are: the close job goes on from the last month drafted, so a close cut short
    // is made again. The months closed before were drafted whole.
    sql: 'ALTER TABLE closed_months ADD COLUMN drafted boolean NOT NULL DEFAULT true',
  },
];
