import { SYSTEM_ACTOR, type EventMetadata, type HostHeartbeat } from '#libs/contracts';
import { EventStore, handleCommand } from '#libs/event-store';
import { migrateEventStore } from '#libs/event-sourcing';
import { createTestDatabase, type TestDatabase } from '#libs/testing';
import { computeEventStore } from '../compute.event-store.js';
import { hostDecider, hostStreamId } from './host.decider.js';
import { Hosts } from './hosts.js';

const heartbeat = (hostId: string, vcpus = 4, agentStartedAt = '2026-12-01T10:00:00.000Z'): HostHeartbeat => ({
  hostId, name: hostId, regionId: 'local', kinds: ['CONTAINER', 'VM'], capacity: { vcpus, memoryMb: 4096, diskGb: 100 },
  allocated: { vcpus: 0, memoryMb: 0, diskGb: 0 }, instances: [], fenceTimeoutMs: 1000, agentStartedAt, sentAt: new Date().toISOString(),
});
const metadata: EventMetadata = { correlationId: 'test', causationId: null, actor: SYSTEM_ACTOR };

describe('heartbeats recorded many at a time', () => {
  let db: TestDatabase;
  let store: EventStore;
  let hosts: Hosts;

  beforeEach(async () => {
    db = await createTestDatabase('beats');
    await migrateEventStore(db.pool, { ...computeEventStore, service: db.schema });
    store = new EventStore(db.pool, db.schema, computeEventStore.projections);
    hosts = new Hosts(db.pool, store);
  });
  afterEach(() => db.close());

  const resources = async () =>
    (await db.pool.query<{ host_id: string; vcpus: number; kinds: string[] }>('SELECT host_id, vcpus, kinds FROM host_resources ORDER BY host_id')).rows;
  const events = async () => (await db.pool.query<{ type: string }>('SELECT type FROM events ORDER BY global_position')).rows.map((r) => r.type);

  it('records every host of a batch in one go, the newest of a host\'s several, each new host registered once', async () => {
    const refused = await hosts.recordHeartbeats([heartbeat('node-b'), heartbeat('node-a', 4), heartbeat('node-c'), heartbeat('node-a', 8)]);
    expect(refused).toEqual([undefined, undefined, undefined, undefined]);
    expect(await resources()).toEqual([
      { host_id: 'node-a', vcpus: 8, kinds: ['CONTAINER', 'VM'] },
      { host_id: 'node-b', vcpus: 4, kinds: ['CONTAINER', 'VM'] },
      { host_id: 'node-c', vcpus: 4, kinds: ['CONTAINER', 'VM'] },
    ]);
    expect((await hosts.list()).map((h) => [h.id, h.status])).toEqual([['node-a', 'UP'], ['node-b', 'UP'], ['node-c', 'UP']]);
    expect((await events()).filter((type) => type === 'HostRegistered')).toHaveLength(3);

    // Beating on records nothing more: only the heartbeat's time and figures move.
    const before = (await events()).length;
    await hosts.recordHeartbeats([heartbeat('node-a'), heartbeat('node-b'), heartbeat('node-c')]);
    expect(await events()).toHaveLength(before);
  });

  it('refuses a malformed heartbeat and a retired host\'s by themselves, records the others, and brings a DOWN host and a new agent back', async () => {
    await hosts.recordHeartbeats([heartbeat('node-a'), heartbeat('node-b'), heartbeat('node-c')]);
    await handleCommand(store, hostStreamId('node-b'), hostDecider, { type: 'Retire', hostId: 'node-b' }, metadata);
    await handleCommand(store, hostStreamId('node-c'), hostDecider, { type: 'MarkHostDown', hostId: 'node-c' }, metadata);

    const malformed = { ...heartbeat('node-d'), capacity: { vcpus: -1, memoryMb: 1, diskGb: 1 } };
    const refused = await hosts.recordHeartbeats([malformed, heartbeat('node-b'), heartbeat('node-c'), heartbeat('node-a', 4, '2026-12-01T11:00:00.000Z')]);
    expect(refused.map((error) => error && `${error.code}: ${error.message}`)).toEqual([
      'BAD_USER_INPUT: heartbeat: malformed heartbeat of node-d', 'CONFLICT: host node-b is retired', undefined, undefined,
    ]);
    expect((await hosts.find('node-c'))?.status).toBe('UP');
    expect((await events()).slice(-2).sort()).toEqual(['HostAgentStarted', 'HostUp']);
    expect((await resources()).map((r) => r.host_id)).toEqual(['node-a', 'node-b', 'node-c']);
    await expect(hosts.recordHeartbeat(heartbeat('node-b'))).rejects.toThrow('host node-b is retired');
  });
});
