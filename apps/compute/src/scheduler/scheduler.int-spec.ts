import { randomUUID } from 'node:crypto';
import type { HostHeartbeat } from '#libs/contracts';
import { EventStore, withTransaction } from '#libs/event-store';
import { migrateEventStore } from '#libs/event-sourcing';
import { createTestDatabase, type TestDatabase } from '#libs/testing';
import { computeEventStore } from '../compute.event-store.js';
import { Hosts } from '../hosts/hosts.js';
import { rankHosts, type PlacementRequest } from './placement.js';
import { readCandidates, Scheduler, SHORTLIST } from './scheduler.js';

function heartbeat(hostId: string, overrides: Partial<HostHeartbeat> = {}): HostHeartbeat {
  return {
    hostId,
    name: hostId,
    regionId: 'local',
    kinds: ['VM', 'CONTAINER'],
    capacity: { vcpus: 4, memoryMb: 4096, diskGb: 200 },
    allocated: { vcpus: 0, memoryMb: 0, diskGb: 0 },
    instances: [],
    fenceTimeoutMs: 6000,
    sentAt: new Date().toISOString(),
    ...overrides,
  };
}

const system = { correlationId: 'test', causationId: null, actor: { kind: 'system' as const } };
const container1g = { regionId: 'local', kind: 'CONTAINER' as const, vcpus: 1, memoryMb: 1024, diskGb: 25 };

describe('hosts and the scheduler on PostgreSQL', () => {
  let db: TestDatabase;
  let store: EventStore;
  let hosts: Hosts;
  let scheduler: Scheduler;

  /** A create's transaction that only reserves. */
  const reserve = (instanceId: string, request: PlacementRequest) => withTransaction(db.pool, (tx) => scheduler.reserve(tx, instanceId, request));

  beforeEach(async () => {
    db = await createTestDatabase('compute');
    await migrateEventStore(db.pool, { ...computeEventStore, service: db.schema });
    store = new EventStore(db.pool, db.schema, computeEventStore.projections);
    hosts = new Hosts(db.pool, store);
    scheduler = new Scheduler(db.pool);
  });
  afterEach(() => db.close());

  it('registers a host from its first heartbeat, marks it DOWN when heartbeats stop and UP when they return', async () => {
    await hosts.recordHeartbeat(heartbeat('node-1'));
    await hosts.recordHeartbeat(heartbeat('node-1'));
    expect(await hosts.list()).toEqual([
      expect.objectContaining({ id: 'node-1', status: 'UP', kinds: ['VM', 'CONTAINER'], vcpus: 4, memoryMb: 4096, allocatedVcpus: 0 }),
    ]);
    expect((await store.readStream('host-node-1')).map((e) => e.type)).toEqual(['HostRegistered']);

    expect(await hosts.markSilentHostsDown(60_000)).toEqual([]);
    // Its agent fences after 6 s: in time for a down-timeout of 10 s, not for one of 0.
    expect(await hosts.markSilentHostsDown(0)).toEqual([{ id: 'node-1', fencesInTime: false }]);
    expect((await hosts.list())[0].status).toBe('DOWN');
    await hosts.recordHeartbeat(heartbeat('node-1'));
    expect((await hosts.list())[0].status).toBe('UP');
    expect((await store.readStream('host-node-1')).map((e) => e.type)).toEqual(['HostRegistered', 'HostDown', 'HostUp']);
  });

  it("lists the hosts named, as the gateway looks up instances' hosts in batches", async () => {
    await hosts.recordHeartbeats(['node-1', 'node-2', 'node-3'].map((id) => heartbeat(id)));
    expect((await hosts.list(['node-3', 'node-1', 'node-9'])).map((h) => h.id)).toEqual(['node-1', 'node-3']);
    expect(() => hosts.list('node-1' as never)).toThrow(expect.objectContaining({ code: 'BAD_USER_INPUT', field: 'ids' }));
  });

  it('never overbooks: 50 concurrent creates against room for 8 reserve exactly 8, spread over both hosts', async () => {
    await hosts.recordHeartbeat(heartbeat('node-1'));
    await hosts.recordHeartbeat(heartbeat('node-2'));
    await hosts.recordHeartbeat(heartbeat('node-3'));
    await hosts.setMaintenance('node-3', true, system);
    await hosts.recordHeartbeat(heartbeat('node-4', { regionId: 'elsewhere' }));
    await hosts.recordHeartbeat(heartbeat('node-5', { kinds: ['VM'] }));

    const results = await Promise.allSettled(Array.from({ length: 50 }, () => reserve(randomUUID(), container1g)));
    const placed = results.filter((r): r is PromiseFulfilledResult<string> => r.status === 'fulfilled').map((r) => r.value);
    const refused = results.filter((r): r is PromiseRejectedResult => r.status === 'rejected').map((r) => r.reason);

    expect(placed).toHaveLength(8); // 4096 MB each, memory is not overcommitted
    expect(placed.filter((h) => h === 'node-1')).toHaveLength(4);
    expect(placed.filter((h) => h === 'node-2')).toHaveLength(4);
    expect(refused).toHaveLength(42);
    expect(refused.every((e) => e.code === 'INSUFFICIENT_CAPACITY')).toBe(true);

    const { rows } = await db.pool.query(
      `SELECT r.host_id, r.reserved_memory_mb, r.reserved_vcpus, coalesce(sum(x.memory_mb), 0)::int AS booked
       FROM host_resources r LEFT JOIN host_reservations x ON x.host_id = r.host_id GROUP BY r.host_id ORDER BY r.host_id`,
    );
    for (const row of rows) {
      expect(row.reserved_memory_mb).toBeLessThanOrEqual(4096);
      expect(row.reserved_memory_mb).toBe(row.booked);
    }
    expect((await hosts.list()).find((h) => h.id === 'node-1')).toMatchObject({ allocatedMemoryMb: 4096, allocatedVcpus: 4 });
  });

  it("passes over a host whose row another create holds for the next best, and waits for it only where no other host has room", async () => {
    await hosts.recordHeartbeat(heartbeat('node-1'));
    await hosts.recordHeartbeat(heartbeat('node-2', { capacity: { vcpus: 4, memoryMb: 1024, diskGb: 200 } }));
    const holder = await db.pool.connect();
    const soon = <T>(work: Promise<T>) => Promise.race([work, new Promise<'still waiting'>((resolve) => setTimeout(() => resolve('still waiting'), 1500))]);
    try {
      await holder.query('BEGIN');
      const held = await scheduler.reserve(holder, randomUUID(), container1g); // node-1, the roomier: its row stays locked
      expect(held).toBe('node-1');
      // Another create meanwhile takes the other host at once, without waiting for the first to commit.
      expect(await soon(reserve(randomUUID(), container1g))).toBe('node-2');
      // node-2 is full now: the next waits for node-1's row, and takes it once the first commits.
      const third = reserve(randomUUID(), container1g);
      expect(await soon(third)).toBe('still waiting');
      await holder.query('COMMIT');
      expect(await third).toBe('node-1');
    } finally {
      await holder.query('ROLLBACK').catch(() => undefined);
      holder.release();
    }
    const { rows } = await db.pool.query('SELECT host_id, reserved_memory_mb FROM host_resources ORDER BY host_id');
    expect(rows).toEqual([{ host_id: 'node-1', reserved_memory_mb: 2048 }, { host_id: 'node-2', reserved_memory_mb: 1024 }]);
  });

  it('reads only the best few hosts of a large region, and every host of it in turn as they fill', async () => {
    const region = Array.from({ length: SHORTLIST + 8 }, (_, i) => `node-${String(i).padStart(2, '0')}`);
    await hosts.recordHeartbeats(region.map((id) => heartbeat(id)));
    expect(await readCandidates(db.pool, container1g)).toHaveLength(SHORTLIST);
    // The shortlist is rankHosts' own first: the emptiest, then by id.
    await reserve(randomUUID(), container1g);
    expect((await readCandidates(db.pool, container1g)).map((h) => h.hostId)).toEqual(rankHosts(await readCandidates(db.pool, container1g, null), container1g).slice(0, SHORTLIST).map((h) => h.hostId));

    // 4 of 4096 MB each: the first shortlist's hosts fill with the rest, spread, until none has room.
    const placed = [];
    for (let i = 1; i < region.length * 4; i++) placed.push(await reserve(randomUUID(), container1g));
    for (const id of region) expect(placed.filter((h) => h === id).length).toBeGreaterThanOrEqual(3);
    expect(await readCandidates(db.pool, container1g)).toEqual([]);
    await expect(reserve(randomUUID(), container1g)).rejects.toMatchObject({ code: 'INSUFFICIENT_CAPACITY' });
  });

  it("shortlists rankHosts' own first among hosts of several sizes, ratios and loads", async () => {
    // Four shapes (two memory sizes, two CPU ratios), memory reserved alike on many: the best of all come from several shapes, CPU deciding among them.
    const region = Array.from({ length: 40 }, (_, i) => `node-${String(i).padStart(2, '0')}`);
    await hosts.recordHeartbeats(region.map((id, i) => heartbeat(id, { capacity: { vcpus: 4, memoryMb: i % 2 ? 8192 : 16384, diskGb: 200 } })));
    await db.pool.query(
      `UPDATE host_resources SET cpu_ratio = CASE WHEN right(host_id, 1) IN ('0', '1', '2', '3', '4') THEN 2 ELSE 4 END,
         reserved_vcpus = (substr(host_id, 6)::integer * 7) % 9, reserved_memory_mb = ((substr(host_id, 6)::integer * 5) % 4) * 1024`,
    );
    const ranked = rankHosts(await readCandidates(db.pool, container1g, null), container1g).map((h) => h.hostId);
    expect(ranked.length).toBeGreaterThan(SHORTLIST * 2);
    const shortlist = await readCandidates(db.pool, container1g);
    expect(shortlist.map((h) => h.hostId)).toEqual(ranked.slice(0, SHORTLIST));
    expect(new Set(shortlist.map((h) => `${h.capacity.memoryMb}/${h.ratios.cpu}`)).size).toBeGreaterThan(1);
  });

  it('lets CPU overcommit four to one', async () => {
    await hosts.recordHeartbeat(heartbeat('node-1', { capacity: { vcpus: 2, memoryMb: 65536, diskGb: 2000 } }));
    const tiny = { ...container1g, memoryMb: 512, diskGb: 1 };
    const results = await Promise.allSettled(Array.from({ length: 10 }, () => reserve(randomUUID(), tiny)));
    expect(results.filter((r) => r.status === 'fulfilled')).toHaveLength(8);
  });

  it('reserves with the create: a create that fails after reserving holds nothing, and a release frees the room', async () => {
    await hosts.recordHeartbeat(heartbeat('node-1', { capacity: { vcpus: 4, memoryMb: 1024, diskGb: 200 } }));
    const refused = withTransaction(db.pool, async (tx) => {
      expect(await scheduler.reserve(tx, randomUUID(), container1g)).toBe('node-1');
      throw new Error('the create failed after its reservation');
    });
    await expect(refused).rejects.toThrow('the create failed after its reservation');
    expect((await hosts.list())[0]).toMatchObject({ allocatedMemoryMb: 0, allocatedVcpus: 0, allocatedDiskGb: 0 });

    const instanceId = randomUUID();
    expect(await reserve(instanceId, container1g)).toBe('node-1');
    await expect(reserve(randomUUID(), container1g)).rejects.toMatchObject({ code: 'INSUFFICIENT_CAPACITY' });
    await scheduler.release(instanceId);
    await scheduler.release(instanceId);
    expect((await hosts.list())[0]).toMatchObject({ allocatedMemoryMb: 0, allocatedVcpus: 0, allocatedDiskGb: 0 });
    expect(await reserve(randomUUID(), container1g)).toBe('node-1');
  });

  it("resizes an instance's share: larger only into the host's room, smaller always", async () => {
    await hosts.recordHeartbeat(heartbeat('node-1', { capacity: { vcpus: 4, memoryMb: 3072, diskGb: 200 } }));
    const instanceId = randomUUID();
    await reserve(instanceId, container1g);
    await reserve(randomUUID(), container1g);
    const resize = (size: { vcpus: number; memoryMb: number; diskGb: number }) => withTransaction(db.pool, (tx) => scheduler.resize(tx, instanceId, size));
    expect(await resize({ vcpus: 2, memoryMb: 2048, diskGb: 50 })).toBe(true);
    expect((await hosts.list())[0]).toMatchObject({ allocatedVcpus: 3, allocatedMemoryMb: 3072, allocatedDiskGb: 75 });
    expect(await resize({ vcpus: 2, memoryMb: 4096, diskGb: 50 })).toBe(false); // 1 GB more than the host has
    expect((await hosts.list())[0]).toMatchObject({ allocatedMemoryMb: 3072 });
    expect(await resize({ vcpus: 1, memoryMb: 512, diskGb: 25 })).toBe(true);
    expect((await hosts.list())[0]).toMatchObject({ allocatedVcpus: 2, allocatedMemoryMb: 1536, allocatedDiskGb: 50 });
  });

  it('refuses when no host of the region runs the kind', async () => {
    await hosts.recordHeartbeat(heartbeat('node-1', { kinds: ['CONTAINER'] }));
    await expect(reserve(randomUUID(), { ...container1g, kind: 'VM' })).rejects.toMatchObject({
      code: 'INSUFFICIENT_CAPACITY',
      message: expect.stringContaining('region local'),
    });
  });
});
