import { randomUUID } from 'node:crypto';
import { eventStoreMigrations, migrate } from '#libs/event-store';
import { createTestDatabase, type TestDatabase } from '#libs/testing';
import { networkEventStore } from '../network.event-store.js';

const MOVE = '0202-local-ipv4-pool-upper-half';

describe('the development pool moving off 203.0.113.0/25', () => {
  let db: TestDatabase;
  /** The network schema as it was before the move, with `leases` (units of the /24) taken. */
  async function installationHolding(...units: number[]) {
    const before = networkEventStore.migrations.filter((m) => m.id < MOVE);
    await migrate(db.pool, db.schema, [...eventStoreMigrations, ...before]);
    for (const unit of units) await db.pool.query('INSERT INTO ip_leases (pool_id, unit, ip_id) VALUES ($1, $2, $3)', ['local-ipv4', unit, randomUUID()]);
  }
  const pool = async () => (await db.pool.query("SELECT prefix::text, host(gateway) AS gateway FROM pools WHERE id = 'local-ipv4'")).rows[0];
  const leases = async () => (await db.pool.query("SELECT unit::integer, ip_id IS NOT NULL AS live FROM ip_leases WHERE pool_id = 'local-ipv4' ORDER BY unit")).rows;

  beforeEach(async () => {
    db = await createTestDatabase('network');
  });
  afterEach(() => db.close());

  it('moves a fresh installation\'s pool to 203.0.113.128/25, its reserved addresses renumbered', async () => {
    await installationHolding();
    await migrate(db.pool, db.schema, [...eventStoreMigrations, ...networkEventStore.migrations]);
    expect(await pool()).toEqual({ prefix: '203.0.113.128/25', gateway: '203.0.113.129' });
    // .128 (network), .129 (gateway) and .255 (broadcast) stay out of allocation
    expect(await leases()).toEqual([{ unit: 0, live: false }, { unit: 1, live: false }, { unit: 127, live: false }]);
  });

  it('keeps the addresses of the upper half where they are, as offsets from .128', async () => {
    await installationHolding(200, 254);
    await migrate(db.pool, db.schema, [...eventStoreMigrations, ...networkEventStore.migrations]);
    expect(await pool()).toEqual({ prefix: '203.0.113.128/25', gateway: '203.0.113.129' });
    expect((await leases()).filter((l) => l.live).map((l) => l.unit)).toEqual([72, 126]); // .200 and .254
  });

  it('leaves a pool that holds an address in the lower half as it is', async () => {
    await installationHolding(7, 200);
    await migrate(db.pool, db.schema, [...eventStoreMigrations, ...networkEventStore.migrations]);
    expect(await pool()).toEqual({ prefix: '203.0.113.0/24', gateway: '203.0.113.1' });
    expect((await leases()).filter((l) => l.live).map((l) => l.unit)).toEqual([7, 200]);
  });
});
