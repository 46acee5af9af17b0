import { Logger } from '@nestjs/common';
import { connect, type NatsConnection } from '@nats-io/transport-node';
import type pg from 'pg';
import type { HostHeartbeat } from '#libs/contracts';
import { createPool, EventStore } from '#libs/event-store';
import { Leaderships, migrateEventStore } from '#libs/event-sourcing';
import { createTestDatabase, TEST_DATABASE_URL, TEST_NATS_URL, waitFor, type TestDatabase } from '#libs/testing';
import { computeEventStore } from '../compute.event-store.js';
import type { ComputeConfig } from '../compute.config.js';
import { HostDownCheckJob } from './host-down-check.job.js';
import { Hosts } from './hosts.js';

const DOWN_TIMEOUT_MS = 2000;
const LEASE_TIMEOUT_MS = 1000;
/** A take-over's bound: the lead re-taken (a lease's wait) and held a whole down-timeout, with room for a busy machine. */
const TAKE_OVER_BOUND_MS = 2 * LEASE_TIMEOUT_MS + 3 * DOWN_TIMEOUT_MS;

const heartbeat = (hostId: string): HostHeartbeat => ({
  hostId, name: hostId, regionId: 'local', kinds: ['CONTAINER'], capacity: { vcpus: 4, memoryMb: 4096, diskGb: 100 },
  allocated: { vcpus: 0, memoryMb: 0, diskGb: 0 }, instances: [], fenceTimeoutMs: 1000, sentAt: new Date().toISOString(),
});

/** Hosts whose judging rounds (markSilentHostsDown) are recorded: when each began and ended. */
class WatchedHosts extends Hosts {
  readonly rounds: { start: number; end: number }[] = [];

  override async markSilentHostsDown(timeoutMs: number) {
    const start = Date.now();
    try {
      return await super.markSilentHostsDown(timeoutMs);
    } finally {
      this.rounds.push({ start, end: Date.now() });
    }
  }
}

/** A compute replica's judge: a pool, a NATS connection and leaderships of its own. */
interface Replica {
  hosts: WatchedHosts;
  nats: NatsConnection;
  stop(): Promise<void>;
}

describe('the host judge on two compute replicas', () => {
  let db: TestDatabase;
  let store: EventStore;
  const replicas: Replica[] = [];

  beforeAll(() => Logger.overrideLogger(false));
  beforeEach(async () => {
    db = await createTestDatabase('judge');
    await migrateEventStore(db.pool, { ...computeEventStore, service: db.schema });
    store = new EventStore(db.pool, db.schema, computeEventStore.projections);
  });
  afterEach(async () => {
    for (const replica of replicas.splice(0)) await replica.stop();
    await db.close();
  });

  async function startReplica(): Promise<Replica> {
    const pool: pg.Pool = createPool(TEST_DATABASE_URL, { schema: db.schema, max: 4 });
    const nats = await connect({ servers: TEST_NATS_URL, name: 'judge-test' });
    const leaderships = new Leaderships(pool, db.schema, LEASE_TIMEOUT_MS, nats);
    const hosts = new WatchedHosts(pool, new EventStore(pool, db.schema, computeEventStore.projections));
    const job = new HostDownCheckJob(hosts, { hostDownTimeoutMs: DOWN_TIMEOUT_MS } as ComputeConfig, leaderships);
    job.onApplicationBootstrap();
    const replica = {
      hosts, nats,
      async stop() {
        await job.beforeApplicationShutdown();
        await leaderships.onApplicationShutdown();
        await pool.end();
        if (!nats.isClosed()) await nats.close();
      },
    };
    replicas.push(replica);
    return replica;
  }

  /** The backend whose session holds the judge's lead. */
  async function judgePid(): Promise<number> {
    const { rows } = await db.pool.query<{ pid: number }>(
      `SELECT l.pid FROM pg_locks l, hashtextextended($1, 0) AS k(key)
       WHERE l.locktype = 'advisory' AND l.granted AND l.objsubid = 1
         AND l.classid = ((k.key >> 32) & 4294967295)::oid AND l.objid = (k.key & 4294967295)::oid`,
      [`awan.host-judge.${db.schema}`],
    );
    return rows[0].pid;
  }

  const judging = (replicas: Replica[]) => waitFor(() => replicas.find((r) => r.hosts.rounds.length > 0), 3 * DOWN_TIMEOUT_MS, 'a replica to judge');
  const hostDowns = async (hostId: string) => (await store.readStream(`host-${hostId}`)).filter((e) => e.type === 'HostDown').length;
  /** No round of one replica overlaps a round of the other. */
  const neverBoth = (a: Replica, b: Replica) =>
    a.hosts.rounds.every((x) => b.hosts.rounds.every((y) => x.end < y.start || y.end < x.start));

  it('one judges at a time; its session killed or its NATS lost, the other judges, once it has led for a whole down-timeout', async () => {
    const hosts = new Hosts(db.pool, store);
    await hosts.recordHeartbeat(heartbeat('steady'));
    const beating = setInterval(() => void hosts.recordHeartbeat(heartbeat('steady')).catch(() => undefined), 300);
    try {
      const [a, b] = [await startReplica(), await startReplica()];
      const first = await judging([a, b]);
      const second = first === a ? b : a;
      await hosts.recordHeartbeat(heartbeat('leaving'));
      await waitFor(async () => (await hostDowns('leaving')) > 0, 3 * DOWN_TIMEOUT_MS, 'the silent host to be DOWN');
      expect(second.hosts.rounds).toEqual([]);

      // The judge's database session is killed: it judges no more, and the other replica takes the
      // lead at once but judges only a whole down-timeout later (silence meanwhile may be compute's).
      await db.pool.query('SELECT pg_terminate_backend($1)', [await judgePid()]);
      const killedAt = Date.now();
      await waitFor(() => second.hosts.rounds.length > 0, TAKE_OVER_BOUND_MS, 'the other replica to judge');
      expect(second.hosts.rounds[0].start - killedAt).toBeGreaterThanOrEqual(DOWN_TIMEOUT_MS);
      expect(first.hosts.rounds.filter((round) => round.start > killedAt)).toEqual([]);

      // NATS lost by the judge: it steps down at once, and the first replica takes over.
      await second.nats.close();
      const lostAt = Date.now();
      await waitFor(() => first.hosts.rounds.some((round) => round.start > lostAt), TAKE_OVER_BOUND_MS, 'the first replica to judge again');
      expect(second.hosts.rounds.filter((round) => round.start > lostAt)).toEqual([]);

      expect(neverBoth(a, b)).toBe(true);
      expect(await hostDowns('leaving')).toBe(1);
      expect(await hostDowns('steady')).toBe(0); // never judged from a replica's own blind spell
    } finally {
      clearInterval(beating);
    }
  }, 30_000);
});
