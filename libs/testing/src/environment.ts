import { randomBytes } from 'node:crypto';
import { connect, type NatsConnection } from '@nats-io/transport-node';
import { jetstreamManager } from '@nats-io/jetstream';
import pg from 'pg';
import { createPool, sqlIdentifier, type Logger } from '#libs/event-store';

/** Tests use the servers the environment names, else the machine's own PostgreSQL and NATS. */
export const TEST_DATABASE_URL = process.env.DATABASE_URL ?? 'postgres://postgres@127.0.0.1:5432/test';
export const TEST_NATS_URL = process.env.NATS_URL ?? 'nats://127.0.0.1:4222';

/** A lower-case name no other test run uses: isolates schemas, streams and subjects. */
export function uniqueName(prefix = 't'): string {
  return `${prefix}${randomBytes(5).toString('hex')}`;
}

export interface TestDatabase {
  pool: pg.Pool;
  schema: string;
  /** Drops the schema and closes the pool. */
  close(): Promise<void>;
}

export async function createTestDatabase(prefix = 't'): Promise<TestDatabase> {
  const schema = uniqueName(prefix);
  const pool = createPool(TEST_DATABASE_URL, { schema, max: 20 });
  return {
    pool,
    schema,
    async close() {
      await pool.query(`DROP SCHEMA IF EXISTS ${sqlIdentifier(schema)} CASCADE`);
      await pool.end();
    },
  };
}

export interface ServiceDatabase {
  /** A DATABASE_URL for service processes: each keeps its schema there, as in production. */
  url: string;
  /** Drops the database, whoever is still connected. */
  drop(): Promise<void>;
  /** Leaves the database as it is, to be read after the run. */
  keep(): Promise<void>;
}

/** A database of its own, for tests that run service processes. */
export async function createServiceDatabase(prefix = 'awan_'): Promise<ServiceDatabase> {
  const name = uniqueName(prefix);
  const admin = new pg.Client({ connectionString: TEST_DATABASE_URL });
  await admin.connect();
  await admin.query(`CREATE DATABASE ${sqlIdentifier(name)}`);
  return {
    url: Object.assign(new URL(TEST_DATABASE_URL), { pathname: `/${name}` }).toString(),
    async drop() {
      await admin.query(`DROP DATABASE IF EXISTS ${sqlIdentifier(name)} WITH (FORCE)`);
      await admin.end();
    },
    keep: () => admin.end(),
  };
}

export interface TestNats {
  nats: NatsConnection;
  /** Deletes the named streams (and their consumers) and closes the connection. */
  close(...streams: string[]): Promise<void>;
}

export async function connectTestNats(): Promise<TestNats> {
  const nats = await connect({ servers: TEST_NATS_URL, name: 'awan-test' });
  return {
    nats,
    async close(...streams: string[]) {
      const jsm = await jetstreamManager(nats);
      for (const stream of streams) await jsm.streams.delete(stream).catch(() => undefined);
      await nats.drain();
    },
  };
}

/** Polls until `check` returns a value other than undefined, null or false (a column not yet set is not yet), or fails after `timeoutMs`. */
export async function waitFor<T>(check: () => Promise<T | undefined | null | false> | T | undefined | null | false, timeoutMs = 10_000, what = 'condition'): Promise<T> {
  const deadline = Date.now() + timeoutMs;
  for (;;) {
    const value = await check();
    if (value !== undefined && value !== null && value !== false) return value as T;
    if (Date.now() > deadline) throw new Error(`timed out after ${timeoutMs} ms waiting for ${what}`);
    await new Promise((resolve) => setTimeout(resolve, 50));
  }
}

/** Keeps the library's expected warnings (retries, dead letters) out of the test report. */
export const quietLogger: Logger = { log: () => undefined, warn: () => undefined, error: () => undefined };

/** The error a request was answered with; fails the test if the request succeeded. */
export const failureOf = <E = Error>(request: Promise<unknown>): Promise<E> =>
  request.then(
    () => {
      throw new Error('the request succeeded');
    },
    (error: E) => error,
  );
