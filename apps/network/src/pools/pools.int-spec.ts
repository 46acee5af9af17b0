import { randomUUID } from 'node:crypto';
import { mkdtempSync, rmSync } from 'node:fs';
import os from 'node:os';
import path from 'node:path';
import { type AppError, type EventMetadata, type PoolView } from '#libs/contracts';
import { EventStore, eventStoreMigrations, migrate, rebuildProjection } from '#libs/event-store';
import {
  connectServiceClient, createServiceDatabase, createTestDatabase, failureOf, runBuilt, SimulatedHost, uniqueName, waitFor,
  type Fixture, type ServiceDatabase, type TestDatabase, type TestServiceClient,
} from '#libs/testing';
import { startNatsServer, type EmbeddedServer } from '../../../../scripts/embedded-servers.js';
import { networkEventStore } from '../network.event-store.js';
import { Pools } from './pools.js';
import { PoolsRepository } from './pools.repository.js';

const MOVE = '0202-local-ipv4-pool-upper-half';
const AS_EVENTS = '0230-pools-as-events';
const admin: EventMetadata = { correlationId: 'pools-test', causationId: null, actor: { kind: 'account', accountId: 'platform', role: 'ADMIN' } };

/** The network schema as it was before `migrationId`. */
async function installationBefore(db: TestDatabase, migrationId: string) {
  await migrate(db.pool, db.schema, [...eventStoreMigrations, ...networkEventStore.migrations.filter((m) => m.id < migrationId)]);
}
const migrateAll = (db: TestDatabase) => migrate(db.pool, db.schema, [...eventStoreMigrations, ...networkEventStore.migrations]);

describe('the development pool moving off 203.0.113.0/25', () => {
  let db: TestDatabase;
  /** The network schema as it was before the move, with `leases` (units of the /24) taken. */
  async function installationHolding(...units: number[]) {
    await installationBefore(db, MOVE);
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
    await migrateAll(db);
    expect(await pool()).toEqual({ prefix: '203.0.113.128/25', gateway: '203.0.113.129' });
    // .128 (network), .129 (gateway) and .255 (broadcast) stay out of allocation
    expect(await leases()).toEqual([{ unit: 0, live: false }, { unit: 1, live: false }, { unit: 127, live: false }]);
  });

  it('keeps the addresses of the upper half where they are, as offsets from .128', async () => {
    await installationHolding(200, 254);
    await migrateAll(db);
    expect(await pool()).toEqual({ prefix: '203.0.113.128/25', gateway: '203.0.113.129' });
    expect((await leases()).filter((l) => l.live).map((l) => l.unit)).toEqual([72, 126]); // .200 and .254
  });

  it('leaves a pool that holds an address in the lower half as it is', async () => {
    await installationHolding(7, 200);
    await migrateAll(db);
    expect(await pool()).toEqual({ prefix: '203.0.113.0/24', gateway: '203.0.113.1' });
    expect((await leases()).filter((l) => l.live).map((l) => l.unit)).toEqual([7, 200]);
  });
});

describe('pools made before pools were events', () => {
  let db: TestDatabase;
  let store: EventStore;
  const ipId = randomUUID();

  /** The pools table and its leases as a user of the API would tell them apart: everything but the row order's numbers. */
  const tables = async () => ({
    pools: (await db.pool.query('SELECT id, region_id, family, prefix::text, host(gateway), assignment_length, reserved, bridge, active, created_at, retired_at FROM pools ORDER BY position')).rows,
    leases: (await db.pool.query('SELECT pool_id, unit::text, ip_id, released_at FROM ip_leases ORDER BY pool_id, unit')).rows,
    free: (await db.pool.query('SELECT pool_id, unit::integer, released_at FROM ip_free_units ORDER BY pool_id, unit')).rows,
  });

  beforeAll(async () => {
    db = await createTestDatabase('network');
    await installationBefore(db, AS_EVENTS);
    // An admin's pool, retired since, beside the seeded two; and an address of the seeded IPv4 pool's.
    await db.pool.query(`INSERT INTO pools (id, region_id, family, prefix, gateway, assignment_length, reserved, bridge, active, created_at)
      VALUES ('old-v4', 'local', 'IPV4', '198.51.100.0/28', '198.51.100.1', 32, '{198.51.100.14}', 'awanbr0', false, '2026-01-02T03:04:05Z')`);
    await db.pool.query("INSERT INTO ip_leases (pool_id, unit) VALUES ('old-v4', 0), ('old-v4', 1), ('old-v4', 14), ('old-v4', 15)");
    await db.pool.query(`INSERT INTO ip_addresses (id, position, pool_id, address, family, prefix_length, gateway, region_id, account_id, floating, allocated_at)
      VALUES ($1, 1, 'local-ipv4', '203.0.113.140', 'IPV4', 25, '203.0.113.129', 'local', 'acct-1', true, now())`, [ipId]);
    await db.pool.query("INSERT INTO ip_leases (pool_id, unit, ip_id) VALUES ('local-ipv4', 12, $1)", [ipId]);
    await migrateAll(db);
    store = new EventStore(db.pool, db.schema, networkEventStore.projections);
  });
  afterAll(() => db?.close());

  it('records each as created as it stood, at its created_at, and a retired one as retired', async () => {
    const { rows } = await db.pool.query('SELECT stream_id, version, type, data, metadata, occurred_at FROM events ORDER BY global_position');
    expect(rows.map((r) => [r.stream_id, r.version, r.type])).toEqual([
      ['pool-local-ipv4', 1, 'IpPoolCreated'], ['pool-local-ipv6', 1, 'IpPoolCreated'], ['pool-old-v4', 1, 'IpPoolCreated'], ['pool-old-v4', 2, 'IpPoolRetired'],
    ]);
    expect(rows[0].data).toEqual({
      poolId: 'local-ipv4', regionId: 'local', family: 'IPV4', prefix: '203.0.113.128/25', gateway: '203.0.113.129', assignmentLength: 32, reserved: [], bridge: 'awanbr0',
    });
    expect(rows[2]).toMatchObject({ data: expect.objectContaining({ prefix: '198.51.100.0/28', reserved: ['198.51.100.14'] }), occurred_at: new Date('2026-01-02T03:04:05Z') });
    expect(rows[0].metadata).toMatchObject({ actor: { kind: 'system' } });
    const repository = new PoolsRepository(db.pool);
    expect(await repository.views({ includeRetired: true, id: 'old-v4' })).toEqual([expect.objectContaining({ active: false, retiredAt: expect.any(String), usable: '12' })]);
    expect((await repository.views({ id: 'local-ipv4' }))[0]).toMatchObject({ active: true, retiredAt: null, allocated: 1 });
  });

  it('rebuilds the table, its leases and free units from those events as they were, the addresses\' leases kept', async () => {
    const before = await tables();
    await rebuildProjection(store, 'pools');
    expect(await tables()).toEqual(before);
    expect(before.leases).toContainEqual({ pool_id: 'local-ipv4', unit: '12', ip_id: ipId, released_at: null });
    // As migration 0250 listed them: every unit of the /25 but its network, gateway, broadcast and the address's; none of the /64.
    const free = (pool: string) => before.free.filter((row) => row.pool_id === pool).map((row) => row.unit);
    expect(free('local-ipv4')).toEqual(Array.from({ length: 128 }, (_, unit) => unit).filter((unit) => ![0, 1, 12, 127].includes(unit)));
    expect(free('old-v4')).toEqual([2, 3, 4, 5, 6, 7, 8, 9, 10, 11, 12, 13]);
    expect(free('local-ipv6')).toEqual([]);
  });

  it('goes on from them: a seeded pool is retired with an event of its stream', async () => {
    const pools = new Pools(store, new PoolsRepository(db.pool), undefined as never); // retiring asks no host
    expect(await pools.retire('local-ipv6', admin)).toMatchObject({ id: 'local-ipv6', active: false, retiredAt: expect.any(String) });
    expect((await store.readStream('pool-local-ipv6')).map((e) => [e.version, e.type, e.metadata.actor])).toEqual([
      [1, 'IpPoolCreated', { kind: 'system' }], [2, 'IpPoolRetired', admin.actor],
    ]);
  });
});

/**
 * Pools created and retired by network's use case on its own schema, asking a built compute process
 * about the region's hosts (simulated ones, on a NATS of the test's own, so no other test's compute answers).
 */
describe('pools as events, each new one checked against what its region\'s hosts use', () => {
  let natsDir: string;
  let nats: EmbeddedServer;
  let computeDatabase: ServiceDatabase;
  let compute: Fixture;
  let caller: TestServiceClient;
  let db: TestDatabase;
  let store: EventStore;
  let pools: Pools;
  const hosts: SimulatedHost[] = [];

  const startHost = async (regionId: string, options: Partial<Parameters<typeof SimulatedHost.start>[0]> = {}) => {
    const host = await SimulatedHost.start({ hostId: uniqueName('host-'), natsUrl: nats.url, regionId, ...options });
    hosts.push(host);
    await waitFor(async () => (await caller.client.call('compute.host.list', {})).some((h) => h.id === host.hostId && h.status === 'UP'), 20_000, `${host.hostId} UP`);
    return host;
  };
  const createdIn = async (regionId: string) =>
    (await db.pool.query("SELECT count(*)::integer AS n FROM events WHERE type = 'IpPoolCreated' AND data->>'regionId' = $1", [regionId])).rows[0].n;
  const refusal = (request: Promise<PoolView>) => failureOf<AppError>(request);

  beforeAll(async () => {
    natsDir = mkdtempSync(path.join(os.tmpdir(), 'awan-pools-nats-'));
    nats = await startNatsServer(natsDir, () => undefined, null);
    computeDatabase = await createServiceDatabase('awan_pools_');
    caller = await connectServiceClient('network', nats.url);
    compute = runBuilt('dist/apps/compute/src/main.js', { DATABASE_URL: computeDatabase.url, NATS_URL: nats.url, PORT: '0', HOST_DOWN_TIMEOUT_MS: '1500' });
    await waitFor(() => caller.client.call('compute.health', {}, 1000).then(() => true, () => false), 30_000, `compute to answer\n${compute.output()}`);
    db = await createTestDatabase('network');
    await migrateAll(db);
    store = new EventStore(db.pool, db.schema, networkEventStore.projections);
    pools = new Pools(store, new PoolsRepository(db.pool), caller.client);
  }, 60_000);

  afterAll(async () => {
    for (const host of hosts) await host.stop().catch(() => undefined);
    compute?.child.kill('SIGTERM');
    await compute?.exited;
    await caller?.close();
    await db?.close();
    await computeDatabase?.drop();
    await nats?.stop();
    rmSync(natsDir, { recursive: true, force: true });
  }, 60_000);

  it('creates a pool in a region with no live host, as IpPoolCreated with its excluded units leased to nobody', async () => {
    const regionId = uniqueName('empty-');
    const view = await pools.create({ regionId, prefix: '198.51.100.16/28', reserved: ['198.51.100.20-198.51.100.21'], bridge: 'awbrint' }, admin);
    // Named by network, its gateway the first address: 16 addresses less network, gateway, broadcast and two reserved.
    expect(view).toMatchObject({ regionId, family: 'IPV4', prefix: '198.51.100.16/28', gateway: '198.51.100.17', usable: '11', allocated: 0, active: true, retiredAt: null });
    expect(view.id).toMatch(/^[0-9a-f-]{36}$/);
    const [event] = await store.readStream(`pool-${view.id}`);
    expect(event).toMatchObject({ type: 'IpPoolCreated', version: 1, metadata: admin, data: { poolId: view.id, gateway: '198.51.100.17', reserved: ['198.51.100.20-198.51.100.21'] } });
    const { rows } = await db.pool.query('SELECT unit::integer FROM ip_leases WHERE pool_id = $1 ORDER BY unit', [view.id]);
    expect(rows.map((r) => r.unit)).toEqual([0, 1, 4, 5, 15]);
    const free = await db.pool.query('SELECT unit::integer FROM ip_free_units WHERE pool_id = $1 ORDER BY unit', [view.id]);
    expect(free.rows.map((r) => r.unit)).toEqual([2, 3, 6, 7, 8, 9, 10, 11, 12, 13, 14]);
  });

  it('asks every live host of the region, and refuses a prefix one of them uses on input.prefix, naming the host and its route', async () => {
    const regionId = uniqueName('used-');
    const quiet = await startHost(regionId);
    const routed = await startHost(regionId, {
      prefixOverlap: (prefix, bridge) => (prefix === '198.51.100.32/27' && bridge === 'awbrint' ? "198.51.100.32/27 overlaps the host's route 198.51.100.0/24 on eth1" : null),
    });
    const refused = await refusal(pools.create({ regionId, prefix: '198.51.100.32/27', bridge: 'awbrint' }, admin));
    expect(refused).toMatchObject({
      code: 'BAD_USER_INPUT', field: 'input.prefix',
      message: `input.prefix: on host ${routed.hostId}, 198.51.100.32/27 overlaps the host's route 198.51.100.0/24 on eth1: give the pool a prefix the hosts of region ${regionId} do not use`,
    });
    expect(await createdIn(regionId)).toBe(0);
    expect([quiet.answered.get('network.checkPrefix'), routed.answered.get('network.checkPrefix')]).toEqual([1, 1]);

    const made = await pools.create({ regionId, prefix: '2001:db8:7001::/64', bridge: 'awbrint' }, admin);
    expect(made).toMatchObject({ family: 'IPV6', gateway: '2001:db8:7001::1', usable: String(2n ** 64n - 2n) });
    expect([quiet.answered.get('network.checkPrefix'), routed.answered.get('network.checkPrefix')]).toEqual([2, 2]);
  }, 60_000);

  it('is UNAVAILABLE while a live host does not answer in time, and asks no host once it is DOWN', async () => {
    const regionId = uniqueName('slow-');
    const slow = await startHost(regionId, { commandDelayMs: 6000 });
    const asked = Date.now();
    const refused = await refusal(pools.create({ regionId, prefix: '198.51.100.64/27', bridge: 'awbrint' }, admin));
    expect(refused).toMatchObject({ code: 'UNAVAILABLE', message: expect.stringContaining(`host ${slow.hostId}: agent.${slow.hostId}.network.checkPrefix did not answer within 3000 ms`) });
    expect(Date.now() - asked).toBeLessThan(5000);
    expect(await createdIn(regionId)).toBe(0);

    await slow.stop();
    await waitFor(async () => (await caller.client.call('compute.host.list', {})).some((h) => h.id === slow.hostId && h.status === 'DOWN'), 20_000, `${slow.hostId} DOWN`);
    expect(await pools.create({ regionId, prefix: '198.51.100.64/27', bridge: 'awbrint' }, admin)).toMatchObject({ prefix: '198.51.100.64/27' });
  }, 60_000);

  it('lets one of two overlapping pools created at once be, and refuses the other on input.prefix', async () => {
    const regionId = uniqueName('race-');
    const results = await Promise.allSettled([
      pools.create({ regionId, prefix: '198.51.100.128/26', bridge: 'awbrint' }, admin),
      pools.create({ regionId, prefix: '198.51.100.128/27', bridge: 'awbrint' }, admin),
    ]);
    expect(results.map((r) => r.status).sort()).toEqual(['fulfilled', 'rejected']);
    expect(results.find((r) => r.status === 'rejected')).toMatchObject({ reason: { code: 'BAD_USER_INPUT', field: 'input.prefix', message: expect.stringContaining('overlaps') } });
    expect(await createdIn(regionId)).toBe(1);
  });

  it('retires a pool once: it hands out nothing new, keeps its history, and an unknown pool is NOT_FOUND', async () => {
    const regionId = uniqueName('retire-');
    const { id } = await pools.create({ regionId, prefix: '2001:db8:7002::/48', assignmentLength: 64, bridge: 'awbrint' }, admin);
    const retired = await pools.retire(id, admin);
    expect(retired).toMatchObject({ id, active: false, retiredAt: expect.any(String), gateway: 'fe80::1', usable: '65535' });
    expect(await pools.retire(id, admin)).toEqual(retired);
    expect((await store.readStream(`pool-${id}`)).map((e) => e.type)).toEqual(['IpPoolCreated', 'IpPoolRetired']);
    expect(await pools.list({ regionId })).toEqual([]);
    expect(await pools.list({ regionId, includeRetired: true })).toEqual([retired]);
    expect(await refusal(pools.retire('no-such-pool', admin))).toMatchObject({ code: 'NOT_FOUND', message: 'pool no-such-pool not found' });
  });
});
