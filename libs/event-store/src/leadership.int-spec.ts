import { connect, type NatsConnection } from '@nats-io/transport-node';
import type pg from 'pg';
import { quietLogger, TcpProxy, TEST_DATABASE_URL, TEST_NATS_URL, uniqueName, waitFor } from '#libs/testing';
import { createPool } from './database.js';
import { Leadership } from './leadership.js';

const TIMEOUT_MS = 1000;
const TICK_MS = 50;

/** One replica's job: at each tick it acts (the time is recorded) when its leadership says it leads. */
class Replica {
  readonly actions: number[] = [];
  private timer: NodeJS.Timeout | undefined;

  constructor(readonly leadership: Leadership) {}

  start(): this {
    this.timer = setInterval(() => void this.leadership.check().then((leads) => leads && this.actions.push(Date.now()), () => undefined), TICK_MS);
    return this;
  }

  async stop(): Promise<void> {
    clearInterval(this.timer);
    await this.leadership.stop();
  }

  acts = () => this.actions.length > 0;
  last = () => this.actions.at(-1) ?? 0;
  first = () => this.actions[0] ?? Infinity;
}

/** The backend whose session holds the lead: what an operator finds in pg_locks. */
async function leaderPid(pool: pg.Pool, key: string): Promise<number | undefined> {
  const { rows } = await pool.query<{ pid: number }>(
    `SELECT l.pid FROM pg_locks l, hashtextextended($1, 0) AS k(key)
     WHERE l.locktype = 'advisory' AND l.granted AND l.objsubid = 1 AND l.database = (SELECT oid FROM pg_database WHERE datname = current_database())
       AND l.classid = ((k.key >> 32) & 4294967295)::oid AND l.objid = (k.key & 4294967295)::oid`,
    [key],
  );
  return rows[0]?.pid;
}

describe('leadership: one replica at a time, by a session-level advisory lock', () => {
  const cleanups: (() => Promise<unknown>)[] = [];
  let admin: pg.Pool;
  let key: string;

  beforeEach(() => {
    admin = createPool(TEST_DATABASE_URL, { max: 2 });
    key = uniqueName('awan.test-leadership.');
  });
  afterEach(async () => {
    for (const cleanup of cleanups.splice(0).reverse()) await cleanup();
    await admin.end();
  });

  /** A replica with a pool of its own (through `url`), as each service process has. */
  function replica(options: { url?: string; alive?: () => Promise<unknown> } = {}): Replica {
    const pool = createPool(options.url ?? TEST_DATABASE_URL, { max: 3 });
    const started = new Replica(new Leadership({ pool, key, timeoutMs: TIMEOUT_MS, alive: options.alive, logger: quietLogger })).start();
    cleanups.push(() => pool.end(), () => started.stop());
    return started;
  }

  async function natsConnection(): Promise<NatsConnection> {
    const nats = await connect({ servers: TEST_NATS_URL, name: 'leadership-test' });
    cleanups.push(() => nats.close());
    return nats;
  }

  /** The replica that leads now, once one does. */
  const leaderOf = (replicas: Replica[]) => waitFor(() => replicas.find((r) => r.actions.length >= 3), 10_000, 'a replica to lead');

  it('lets one of two replicas act; its session killed, it stops at once and the other takes over within the timeout', async () => {
    const replicas = [replica(), replica()];
    const leader = await leaderOf(replicas);
    const standby = replicas.find((r) => r !== leader)!;
    await new Promise((resolve) => setTimeout(resolve, 500));
    expect(standby.actions).toEqual([]); // never both

    const pid = await leaderPid(admin, key);
    expect(pid).toBeDefined();
    await admin.query('SELECT pg_terminate_backend($1)', [pid]);
    const killedAt = Date.now();
    await waitFor(standby.acts, 2 * TIMEOUT_MS, 'the standby to take over');
    expect(standby.first() - killedAt).toBeLessThan(TIMEOUT_MS);
    expect(leader.last()).toBeLessThan(standby.first()); // the two never acted at once
    expect(leader.last() - killedAt).toBeLessThan(TIMEOUT_MS / 2); // at once: its session's end is an event

    await new Promise((resolve) => setTimeout(resolve, 500));
    expect(leader.last()).toBeLessThan(standby.first()); // and the old leader does not come back while the new one leads
    expect(await leaderPid(admin, key)).not.toBe(pid);
  });

  it('a leader cut off from PostgreSQL stops acting within the timeout; the other leads only once the server has ended its session', async () => {
    const proxy = await TcpProxy.start(Number(new URL(TEST_DATABASE_URL).port || 5432));
    cleanups.push(() => proxy.close());
    const throughProxy = Object.assign(new URL(TEST_DATABASE_URL), { port: String(proxy.port) }).toString();
    const leader = replica({ url: throughProxy });
    await waitFor(() => leader.actions.length >= 3, 10_000, 'the first replica to lead');
    const standby = replica();

    proxy.freeze(); // nothing arrives either way, nothing is closed
    const frozenAt = Date.now();
    await new Promise((resolve) => setTimeout(resolve, 2 * TIMEOUT_MS));
    expect(leader.last() - frozenAt).toBeLessThanOrEqual(TIMEOUT_MS);
    expect(leader.leadership.leading).toBe(false);

    // The server ends the session its keepalives find dead (here: the connection cut), and frees the lock.
    proxy.cut();
    await waitFor(standby.acts, 2 * TIMEOUT_MS, 'the standby to take over');
    expect(leader.last()).toBeLessThan(standby.first());
  });

  it('a leader that loses what else it needs (NATS) steps down within the timeout, and the other takes over', async () => {
    const [natsA, natsB] = [await natsConnection(), await natsConnection()];
    const first = replica({ alive: () => natsA.flush() });
    await waitFor(() => first.actions.length >= 3, 10_000, 'the first replica to lead');
    const second = replica({ alive: () => natsB.flush() });

    await natsA.close();
    const lostAt = Date.now();
    await waitFor(second.acts, 2 * TIMEOUT_MS + 1000, 'the second replica to take over');
    expect(first.last() - lostAt).toBeLessThanOrEqual(TIMEOUT_MS);
    expect(first.last()).toBeLessThan(second.first());
    expect(first.leadership.leading).toBe(false);
  });

  it('a leader stopping hands the lead over at once', async () => {
    const replicas = [replica(), replica()];
    const leader = await leaderOf(replicas);
    const standby = replicas.find((r) => r !== leader)!;
    await leader.stop();
    const stoppedAt = Date.now();
    await waitFor(standby.acts, TIMEOUT_MS, 'the standby to take over');
    expect(standby.first() - stoppedAt).toBeLessThan(TIMEOUT_MS / 2); // the lock is freed: no timeout to wait for
  });
});
