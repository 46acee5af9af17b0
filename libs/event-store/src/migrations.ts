import type pg from 'pg';
import { sqlIdentifier } from './database.js';

/**
 * One schema change, applied once per schema in a transaction. The SQL runs with the
 * service's schema as search_path, so it names tables without a schema.
 */
export interface Migration {
  /** Sortable and never renamed, e.g. `0001-event-store`. */
  id: string;
  sql: string;
}

/** Tables every service's event store needs: events, the relay's checkpoint, the consumers' inbox. */
export const eventStoreMigrations: Migration[] = [
  {
    id: '0001-event-store',
    sql: `
      CREATE TABLE events (
        global_position bigint GENERATED ALWAYS AS IDENTITY PRIMARY KEY,
        -- the writing transaction: the relay's cursor, since positions become visible out of order
        transaction_id xid8 NOT NULL DEFAULT pg_current_xact_id(),
        event_id uuid NOT NULL UNIQUE,
        stream_id text NOT NULL,
        version integer NOT NULL CHECK (version > 0),
        type text NOT NULL,
        data jsonb NOT NULL,
        metadata jsonb NOT NULL,
        occurred_at timestamptz NOT NULL,
        CONSTRAINT events_stream_version UNIQUE (stream_id, version)
      );
      CREATE INDEX events_relay_order ON events (transaction_id, global_position);

      CREATE TABLE relay_checkpoints (
        relay text PRIMARY KEY,
        transaction_id xid8 NOT NULL,
        global_position bigint NOT NULL,
        updated_at timestamptz NOT NULL DEFAULT now()
      );

      CREATE TABLE inbox (
        consumer text NOT NULL,
        event_id uuid NOT NULL,
        handled_at timestamptz NOT NULL DEFAULT now(),
        PRIMARY KEY (consumer, event_id)
      );
    `,
  },
];

/**
 * Brings `schema` up to date. Safe to run from every replica at once: an advisory lock
 * serialises runners, and each migration commits with its record or not at all.
 */
export async function migrate(pool: pg.Pool, schema: string, migrations: readonly Migration[]): Promise<string[]> {
  const quoted = sqlIdentifier(schema);
  const applied: string[] = [];
  const client = await pool.connect();
  try {
    // A migration may rewrite a large table, and replicas starting together wait here for the first
    // one's: this session alone goes without the pool's lock and statement timeouts.
    await client.query('SET lock_timeout = 0; SET statement_timeout = 0');
    await client.query('SELECT pg_advisory_lock(hashtextextended($1, 0))', [`awan.migrate.${schema}`]);
    await client.query(`CREATE SCHEMA IF NOT EXISTS ${quoted}`);
    await client.query(
      `CREATE TABLE IF NOT EXISTS ${quoted}.schema_migrations (id text PRIMARY KEY, applied_at timestamptz NOT NULL DEFAULT now())`,
    );
    const { rows } = await client.query<{ id: string }>(`SELECT id FROM ${quoted}.schema_migrations`);
    const done = new Set(rows.map((r) => r.id));
    for (const migration of [...migrations].sort((a, b) => a.id.localeCompare(b.id))) {
      if (done.has(migration.id)) continue;
      await client.query('BEGIN');
      try {
        await client.query(`SET LOCAL search_path TO ${quoted}`);
        await client.query(migration.sql);
        await client.query(`INSERT INTO ${quoted}.schema_migrations (id) VALUES ($1)`, [migration.id]);
        await client.query('COMMIT');
      } catch (error) {
        await client.query('ROLLBACK');
        throw new Error(`migration ${migration.id} failed in schema ${schema}: ${(error as Error).message}`);
      }
      applied.push(migration.id);
    }
  } finally {
    await client.query('SELECT pg_advisory_unlock(hashtextextended($1, 0))', [`awan.migrate.${schema}`]).catch(() => undefined);
    await client.query('RESET lock_timeout; RESET statement_timeout').catch(() => undefined);
    client.release();
  }
  return applied;
}
