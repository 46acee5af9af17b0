import { setTimeout as sleep } from 'node:timers/promises';
import { createServiceDatabase, type ServiceDatabase } from '#libs/testing';
import { createPool } from './database.js';

describe('service pools', () => {
  let database: ServiceDatabase;

  beforeAll(async () => {
    database = await createServiceDatabase('awan_tz_');
  });
  afterAll(() => database?.drop());

  it('talk UTC whatever the database\'s own time zone, so a month cast to a date stays that month', async () => {
    const admin = createPool(database.url);
    const { rows: [{ name }] } = await admin.query<{ name: string }>('SELECT current_database() AS name');
    await admin.query(`ALTER DATABASE "${name}" SET TimeZone = 'America/New_York'`);
    await admin.end();
    const pool = createPool(database.url, { schema: 'public' });
    const { rows } = await pool.query<{ zone: string; day: string }>(
      `SELECT current_setting('TimeZone') AS zone, to_timestamp($1)::date::text AS day`,
      [Date.UTC(2026, 8, 1) / 1000],
    );
    await pool.end();
    expect(rows[0]).toEqual({ zone: 'UTC', day: '2026-09-01' });
  });

  it('outlive their server ending every session (a PostgreSQL restart), idle or checked out, and connect again', async () => {
    const pool = createPool(database.url);
    const held = await pool.connect();
    const idle = await pool.connect();
    idle.release();
    const admin = createPool(database.url, { max: 1 });
    const { rows: [{ name }] } = await admin.query<{ name: string }>('SELECT current_database() AS name');
    await admin.query('SELECT pg_terminate_backend(pid) FROM pg_stat_activity WHERE datname = $1 AND pid <> pg_backend_pid()', [name]);
    await admin.end();
    await sleep(200); // the servers' goodbyes arrive; without a listener each would be an uncaught 'error'

    await expect(held.query('SELECT 1')).rejects.toThrow();
    held.release();
    expect((await pool.query('SELECT 1 AS one')).rows).toEqual([{ one: 1 }]);
    await pool.end();
  });
});
