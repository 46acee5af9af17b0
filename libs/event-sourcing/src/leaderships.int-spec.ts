import { Logger } from '@nestjs/common';
import { connect, type NatsConnection } from '@nats-io/transport-node';
import type pg from 'pg';
import { createPool } from '#libs/event-store';
import { createTestDatabase, TcpProxy, TEST_DATABASE_URL, TEST_NATS_URL, waitFor, type TestDatabase } from '#libs/testing';
import { Leaderships } from './leaderships.js';

const LEASE_TIMEOUT_MS = 1000;
const EVERY_MS = 100;

/** A replica's jobs: a pool, a NATS connection and leaderships of its own; each round recorded with its job. */
interface Replica {
  rounds: { job: string; start: number; end: number }[];
  leaderships: Leaderships;
  stop(): Promise<void>;
}

describe('LedRounds: a service\'s jobs on the one replica that leads them', () => {
  let db: TestDatabase;
  const replicas: Replica[] = [];

  beforeEach(async () => {
    db = await createTestDatabase('led');
  });
  afterEach(async () => {
    await Promise.all(replicas.splice(0).map((replica) => replica.stop()));
    await db.close();
  });

  async function startReplica(natsUrl = TEST_NATS_URL): Promise<Replica> {
    const pool: pg.Pool = createPool(TEST_DATABASE_URL, { schema: db.schema, max: 4 });
    const nats: NatsConnection = await connect({ servers: natsUrl, name: 'led-rounds-test', maxReconnectAttempts: -1, reconnectTimeWait: 100 });
    const leaderships = new Leaderships(pool, db.schema, LEASE_TIMEOUT_MS, nats);
    const rounds: Replica['rounds'] = [];
    const job = (name: string) => leaderships.rounds('jobs', EVERY_MS, new Logger('test'), name, async () => {
      const start = Date.now();
      await new Promise((resolve) => setTimeout(resolve, 20));
      rounds.push({ job: name, start, end: Date.now() });
    });
    const jobs = [job('watch'), job('close')];
    for (const rounds of jobs) rounds.start();
    let stopped = false;
    const replica: Replica = {
      rounds, leaderships,
      async stop() {
        if (stopped) return;
        stopped = true;
        await Promise.all(jobs.map((rounds) => rounds.stop()));
        await leaderships.onApplicationShutdown();
        await pool.end();
        await nats.close();
      },
    };
    replicas.push(replica);
    return replica;
  }

  it('runs every job of the lead on one replica only, and on the other once the first stops', async () => {
    const [a, b] = [await startReplica(), await startReplica()];
    const leader = await waitFor(() => [a, b].find((r) => r.rounds.length > 0), 10_000, 'a replica to run its jobs');
    const standby = leader === a ? b : a;
    await waitFor(() => new Set(leader.rounds.map((r) => r.job)).size === 2 && leader.rounds.length >= 10, 10_000, 'both jobs to run on the leader');
    expect(standby.rounds).toEqual([]);

    await leader.stop();
    const stoppedAt = Date.now();
    await waitFor(() => standby.rounds.length > 0, 10_000, 'the other replica to take the jobs over');
    expect(Math.min(...standby.rounds.map((r) => r.start))).toBeGreaterThanOrEqual(stoppedAt);
    expect(Math.max(...leader.rounds.map((r) => r.end))).toBeLessThanOrEqual(stoppedAt);
  });

  it('stops its rounds when NATS is lost, and a replica with NATS takes them', async () => {
    const proxy = await TcpProxy.start(Number(new URL(TEST_NATS_URL).port));
    try {
      const a = await startReplica(`nats://127.0.0.1:${proxy.port}`);
      await waitFor(() => a.rounds.length > 0, 10_000, 'the first replica to run its jobs');
      const b = await startReplica();
      // The first replica's way to NATS is gone (its reconnects lead nowhere): its leaderships step
      // down as it disconnects, and it runs no round that begins without NATS.
      proxy.retarget(1);
      proxy.cut();
      const lostAt = Date.now();
      await waitFor(() => b.rounds.length > 0, 10_000, 'the replica with NATS to take the jobs over');
      expect(a.rounds.filter((r) => r.start > lostAt + 50)).toEqual([]);
    } finally {
      await proxy.close();
    }
  });
});
