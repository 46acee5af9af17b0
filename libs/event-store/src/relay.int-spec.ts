import { DiscardPolicy, jetstream, jetstreamManager, type JetStreamManager } from '@nats-io/jetstream';
import { nanos } from '@nats-io/transport-node';
import { eventStreamName, SYSTEM_ACTOR, type EventEnvelope, type EventMetadata } from '#libs/contracts';
import { connectTestNats, createTestDatabase, quietLogger, runFixture, TEST_DATABASE_URL, uniqueName, waitFor, type TestDatabase, type TestNats } from '#libs/testing';
import { effectsMigration, startEffectsConsumer } from '../test/effects.js';
import { createPool } from './database.js';
import { EventStore, type RecordedEvent } from './event-store.js';
import { ensureStream } from './jetstream.js';
import { eventStoreMigrations, migrate } from './migrations.js';
import type { Logger } from './logger.js';
import { EventRelay, type RelayOptions } from './relay.js';

const metadata: EventMetadata = { correlationId: 'c-1', causationId: null, actor: SYSTEM_ACTOR };
const opened = (poolId: string) => ({ type: 'CapacityOpened', data: { poolId, capacity: 1 } });

describe('event relay to JetStream', () => {
  let db: TestDatabase;
  let nats: TestNats;
  let jsm: JetStreamManager;
  let store: EventStore;
  let service: string;
  const running: { stop(): Promise<void> }[] = [];

  beforeEach(async () => {
    db = await createTestDatabase('relay');
    await migrate(db.pool, db.schema, [...eventStoreMigrations, effectsMigration]);
    nats = await connectTestNats();
    jsm = await jetstreamManager(nats.nats);
    store = new EventStore(db.pool, db.schema);
    service = uniqueName('svc');
  });
  afterEach(async () => {
    await Promise.all(running.splice(0).map((r) => r.stop()));
    await nats.close(eventStreamName(service), `${eventStreamName(service)}_DEADLETTER`);
    await db.close();
  });

  function startRelay(logger: Logger = quietLogger, options: Partial<RelayOptions> = {}): EventRelay {
    const relay = new EventRelay({ store, service, nats: nats.nats, pollIntervalMs: 50, standbyRetryMs: 100, logger, ...options });
    relay.start();
    running.push(relay);
    return relay;
  }

  /** Every message in the service's stream, in stream order. */
  async function published(): Promise<{ subject: string; msgId: string | undefined; event: EventEnvelope }[]> {
    const name = eventStreamName(service);
    const info = await jsm.streams.info(name).catch(() => null);
    const out = [];
    for (let seq = 1; seq <= (info?.state.last_seq ?? 0); seq++) {
      const msg = await jsm.streams.getMessage(name, { seq });
      out.push({ subject: msg!.subject, msgId: msg!.header.get('Nats-Msg-Id'), event: msg!.json<EventEnvelope>() });
    }
    return out;
  }

  /**
   * The stream's messages once it holds `count`: counted by the stream's state meanwhile, as reading
   * them all at each look is slow on a busy machine. A relay publishes only what committed before the
   * oldest transaction open in the whole cluster (its databases share transaction ids), so another
   * suite's transaction holds it back: a wait that times out names the oldest.
   */
  async function waitForPublished(count: number, timeoutMs = 30_000) {
    const name = eventStreamName(service);
    await waitFor(async () => ((await jsm.streams.info(name).catch(() => null))?.state.messages ?? 0) >= count, timeoutMs, `${count} published events`)
      .catch(async (error: Error) => {
        throw new Error(`${error.message}; the cluster's oldest transaction: ${await oldestTransaction()}`);
      });
    return published();
  }

  async function oldestTransaction(): Promise<string> {
    const { rows } = await db.pool.query<{ datname: string; seconds: number; query: string }>(
      `SELECT datname, extract(epoch FROM now() - xact_start)::integer AS seconds, left(query, 200) AS query FROM pg_stat_activity
       WHERE backend_xid IS NOT NULL ORDER BY xact_start LIMIT 1`,
    );
    return rows[0] ? `${rows[0].seconds} s in ${rows[0].datname}: ${rows[0].query}` : 'none';
  }

  /**
   * `events` in the stream as a relay publishes them, each after its predecessor, in a stream whose
   * duplicate window is short: once past it, only the relay can tell what is there already.
   */
  async function storeInStream(events: RecordedEvent[]): Promise<void> {
    await ensureStream(nats.nats, { name: eventStreamName(service), subjects: [`events.${service}.>`], duplicate_window: nanos(100) });
    const js = jetstream(nats.nats);
    for (const { globalPosition: _position, ...envelope } of events) {
      await js.publish(`events.${service}.pool.${envelope.type}`, JSON.stringify(envelope), { msgID: envelope.eventId });
    }
  }

  it('publishes each event on its subject with its event id as Nats-Msg-Id', async () => {
    startRelay();
    const [event] = await store.append('pool-a1', [opened('a1')], { expectedVersion: 0, metadata });

    const [message] = await waitForPublished(1);
    expect(message.subject).toBe(`events.${service}.pool.CapacityOpened`);
    expect(message.msgId).toBe(event.eventId);
    const { globalPosition: _position, ...envelope } = event;
    expect(message.event).toEqual(envelope);
  });

  it('publishes in the order of transaction ids as numbers, where they gain a digit (99999 before 100000)', async () => {
    // Events written by transactions on both sides of the last power of ten this cluster has passed,
    // each older than every transaction still running.
    const { rows: [{ xmin }] } = await db.pool.query<{ xmin: string }>('SELECT pg_snapshot_xmin(pg_current_snapshot())::text AS xmin');
    let boundary = 10 ** Math.floor(Math.log10(Number(xmin)));
    if (boundary + 1 >= Number(xmin)) boundary /= 10;
    const transactions = [boundary - 2, boundary - 1, boundary, boundary + 1];
    for (const [i, transactionId] of transactions.entries()) {
      await db.pool.query(
        `INSERT INTO ${db.schema}.events (transaction_id, event_id, stream_id, version, type, data, metadata, occurred_at)
         VALUES ($1::xid8, gen_random_uuid(), 'pool-digits', $2, 'CapacityOpened', '{}', $3, now())`,
        [String(transactionId), i + 1, JSON.stringify(metadata)],
      );
    }
    startRelay();
    await store.append('pool-digits', [opened('digits')], { expectedVersion: 4, metadata });
    const messages = await waitForPublished(5);
    expect(messages.map((m) => m.event.version)).toEqual([1, 2, 3, 4, 5]);
    await new Promise((resolve) => setTimeout(resolve, 300)); // nothing is published twice
    expect(await published()).toHaveLength(5);
  });

  it('publishes a transaction that appended first but committed last, and before what came after it', async () => {
    startRelay();
    const early = await db.pool.connect();
    try {
      await early.query('BEGIN');
      const [first] = await store.append('pool-early', [opened('early')], { expectedVersion: 0, metadata, tx: early });
      const [second] = await store.append('pool-late', [opened('late')], { expectedVersion: 0, metadata });
      expect(second.globalPosition).toBeGreaterThan(first.globalPosition);

      // The later event is committed, but publishing it now would move the cursor past the open one.
      await new Promise((resolve) => setTimeout(resolve, 500));
      expect(await published()).toEqual([]);

      await early.query('COMMIT');
      const messages = await waitForPublished(2);
      expect(messages.map((m) => m.event.eventId)).toEqual([first.eventId, second.eventId]);
    } finally {
      early.release();
    }
  });

  it('never skips or repeats an event while many writers commit out of order', async () => {
    startRelay();
    const writers = 8;
    const appendsPerWriter = 25;
    const appended: RecordedEvent[] = [];
    await Promise.all(
      Array.from({ length: writers }, async (_, w) => {
        for (let i = 0; i < appendsPerWriter; i++) {
          const client = await db.pool.connect();
          try {
            await client.query('BEGIN');
            const events = await store.append(`pool-w${w}`, [opened(`w${w}`)], { expectedVersion: i, metadata, tx: client });
            // Hold some transactions open so that later positions commit first.
            if (i % 2 === 0) await new Promise((resolve) => setTimeout(resolve, Math.random() * 20));
            await client.query('COMMIT');
            appended.push(...events);
          } finally {
            client.release();
          }
        }
      }),
    );

    const messages = await waitForPublished(writers * appendsPerWriter);
    await new Promise((resolve) => setTimeout(resolve, 300)); // nothing more may arrive
    const ids = (await published()).map((m) => m.event.eventId);
    expect(ids).toHaveLength(appended.length);
    expect(new Set(ids)).toEqual(new Set(appended.map((e) => e.eventId)));
    for (let w = 0; w < writers; w++) {
      const versions = messages.filter((m) => m.event.streamId === `pool-w${w}`).map((m) => m.event.version);
      expect(versions).toEqual(Array.from({ length: appendsPerWriter }, (_, i) => i + 1));
    }
  });

  it('after a relay died mid-batch, publishes the rest of the batch after what it stored: nothing twice, nothing out of order', async () => {
    const events = await store.append('pool-half', Array.from({ length: 6 }, () => opened('half')), { expectedVersion: 0, metadata });
    // What a relay killed after three PubAcks, before its checkpoint moved, left in the stream, longer
    // ago than JetStream's duplicate window.
    await storeInStream(events.slice(0, 3));
    await new Promise((resolve) => setTimeout(resolve, 300));
    startRelay();
    await waitForPublished(6);
    // Something else's message in the stream: the relay learns where the stream stands, and goes on.
    await store.append('pool-half', [opened('half')], { expectedVersion: 6, metadata });
    await jetstream(nats.nats).publish(`events.${service}.pool.Foreign`, JSON.stringify({ eventId: 'not-ours' }), { msgID: 'not-ours' });
    await store.append('pool-half', [opened('half')], { expectedVersion: 7, metadata });
    const messages = await waitForPublished(9);
    await new Promise((resolve) => setTimeout(resolve, 300)); // nothing more may arrive
    expect((await published()).filter((m) => m.event.streamId === 'pool-half').map((m) => m.event.version)).toEqual([1, 2, 3, 4, 5, 6, 7, 8]);
    expect(messages).toHaveLength(9);
  });

  it('publishes again, after its last message, what a stream restored from an older copy lacks', async () => {
    const events = await store.append('pool-old', Array.from({ length: 6 }, () => opened('old')), { expectedVersion: 0, metadata });
    // The copy holds the first three; the relay's checkpoint says all six went out.
    await storeInStream(events.slice(0, 3));
    await db.pool.query(
      `INSERT INTO relay_checkpoints (relay, transaction_id, global_position) SELECT $1, transaction_id, global_position FROM events WHERE event_id = $2`,
      [`${service}-relay`, events[5].eventId],
    );
    await new Promise((resolve) => setTimeout(resolve, 300)); // past the duplicate window
    const warnings: string[] = [];
    startRelay({ ...quietLogger, warn: (message) => warnings.push(message) });

    await waitForPublished(6);
    await new Promise((resolve) => setTimeout(resolve, 300)); // nothing more may arrive
    expect((await published()).map((m) => m.msgId)).toEqual(events.map((e) => e.eventId));
    expect(warnings).toEqual([expect.stringContaining('lacks events published before (it ends at sequence 3)')]);
  });

  it('publishes every event again to a stream lost while it had nothing to publish, and a consumer made again applies each once', async () => {
    startRelay(quietLogger, { streamCheckMs: 200 });
    const appended = [];
    for (let i = 0; i < 3; i++) appended.push(...(await store.append(`pool-l${i}`, [opened(`l${i}`)], { expectedVersion: 0, metadata })));
    running.push(await startEffectsConsumer(db, nats.nats, service));
    const effects = async () => (await db.pool.query<{ event_id: string; times: number }>('SELECT event_id, count(*)::int AS times FROM effects GROUP BY event_id')).rows;
    await waitFor(async () => (await effects()).length === 3, 15_000, 'the first three events applied');

    // As an operator's mistake, or a NATS that lost its store, would: its consumers go with it.
    await jsm.streams.delete(eventStreamName(service));
    await waitFor(async () => ((await jsm.streams.info(eventStreamName(service)).catch(() => null))?.state.messages ?? 0) >= 3, 15_000, 'the three published again');
    for (let i = 3; i < 5; i++) appended.push(...(await store.append(`pool-l${i}`, [opened(`l${i}`)], { expectedVersion: 0, metadata })));

    expect((await waitForPublished(5)).map((m) => m.msgId)).toEqual(appended.map((e) => e.eventId));
    await waitFor(async () => {
      const info = await jsm.consumers.info(eventStreamName(service), 'effects').catch(() => null);
      return info?.delivered.stream_seq === 5 && info.num_ack_pending === 0;
    }, 15_000, 'the consumer, made again, to handle all five');
    const rows = await effects();
    expect(new Set(rows.map((r) => r.event_id))).toEqual(new Set(appended.map((e) => e.eventId)));
    expect(rows.every((r) => r.times === 1)).toBe(true);
  });

  it('keeps one relay active per service and lets a standby take over when it stops', async () => {
    const first = startRelay();
    const second = startRelay();
    await waitFor(() => first.active || second.active, 5000, 'an active relay');
    expect(first.active && second.active).toBe(false);

    await store.append('pool-b1', [opened('b1')], { expectedVersion: 0, metadata });
    await waitForPublished(1);
    const [active, standby] = first.active ? [first, second] : [second, first];
    await active.stop();
    await waitFor(() => standby.active, 5000, 'the standby to take over');

    await store.append('pool-b2', [opened('b2')], { expectedVersion: 0, metadata });
    const messages = await waitForPublished(2);
    expect(messages.map((m) => m.event.streamId)).toEqual(['pool-b1', 'pool-b2']);
  });

  it('pauses a second after a failure to publish, however many events are appended meanwhile, and publishes them once it can', async () => {
    let failures = 0;
    const relay = new EventRelay({
      store, service, nats: nats.nats, pollIntervalMs: 50, standbyRetryMs: 100, logger: quietLogger,
      failures: { failed: () => failures++, succeeded: () => undefined },
    });
    relay.start();
    running.push(relay);
    await store.append('pool-o0', [opened('o0')], { expectedVersion: 0, metadata });
    await waitForPublished(1);
    // Its stream full, and refusing more, every publish fails.
    const { config } = await jsm.streams.info(eventStreamName(service));
    await jsm.streams.update(eventStreamName(service), { ...config, max_msgs: 1, discard: DiscardPolicy.New });
    for (let i = 1; i <= 40; i++) {
      await store.append(`pool-o${i}`, [opened(`o${i}`)], { expectedVersion: 0, metadata }); // each nudges the relay
      await new Promise((resolve) => setTimeout(resolve, 50));
    }
    // About 2 s of appends: a retry a second, not one an append.
    expect(failures).toBeGreaterThanOrEqual(1);
    expect(failures).toBeLessThanOrEqual(4);
    // Room again: the relay goes on from its checkpoint.
    await jsm.streams.update(eventStreamName(service), config);
    const messages = await waitForPublished(41);
    expect(messages.map((m) => m.event.streamId)).toEqual(Array.from({ length: 41 }, (_, i) => `pool-o${i}`));
  });

  it('keeps a standby waiting while its own process appends: it asks for the lead once a retry, not once an append', async () => {
    const active = startRelay();
    await waitFor(() => active.active, 5000, 'an active relay');
    // Another replica: a pool of its own, whose attempts at the lead are counted, and appends of its own, each nudging its relay.
    const pool = createPool(TEST_DATABASE_URL, { schema: db.schema });
    let attempts = 0;
    pool.on('connect', (client) => {
      const query = client.query.bind(client) as (...args: unknown[]) => unknown;
      Object.assign(client, {
        query: (...args: unknown[]) => {
          if (String(args[0]).includes('pg_try_advisory_lock')) attempts++;
          return query(...args);
        },
      });
    });
    const replica = new EventStore(pool, db.schema);
    const standby = new EventRelay({ store: replica, service, nats: nats.nats, pollIntervalMs: 50, standbyRetryMs: 500, logger: quietLogger });
    standby.start();
    let appends = 0;
    for (const started = Date.now(); Date.now() - started < 1000; appends++) {
      await replica.append('pool-s1', [opened('s1')], { expectedVersion: appends, metadata });
    }
    await standby.stop();
    await pool.end();
    expect(appends).toBeGreaterThan(20);
    expect(standby.active).toBe(false);
    expect(attempts).toBeGreaterThanOrEqual(1);
    expect(attempts).toBeLessThanOrEqual(4); // one at the start, then one each 500 ms
    await waitForPublished(appends);
  });

  it("publishes a standby replica's append at once, told on PostgreSQL's channel, not at its next poll", async () => {
    // A poll of a minute: only the standby's NOTIFY can bring the event out within the test.
    const active = new EventRelay({ store, service, nats: nats.nats, pollIntervalMs: 60_000, standbyRetryMs: 100, logger: quietLogger });
    active.start();
    running.push(active);
    await waitFor(() => active.active, 5000, 'an active relay');
    await store.append('pool-n0', [opened('n0')], { expectedVersion: 0, metadata }); // its own, nudged in its process
    await waitForPublished(1);
    // Polls after a nudge come sooner, then less and less often: seconds apart by now.
    await new Promise((resolve) => setTimeout(resolve, 5000));
    const pool = createPool(TEST_DATABASE_URL, { schema: db.schema });
    const replica = new EventStore(pool, db.schema);
    const standby = new EventRelay({ store: replica, service, nats: nats.nats, pollIntervalMs: 60_000, standbyRetryMs: 60_000, logger: quietLogger });
    standby.start();
    try {
      for (let i = 1; i <= 3; i++) {
        await replica.append(`pool-n${i}`, [opened(`n${i}`)], { expectedVersion: 0, metadata });
        // Within milliseconds on a quiet cluster (it looks again 2, 4, 8… ms after the nudge while another
        // suite's transaction holds it back); a poll would bring it a minute later.
        await waitForPublished(i + 1, 20_000);
      }
      expect(standby.active).toBe(false);
    } finally {
      await standby.stop();
      await pool.end();
    }
  }, 90_000);

  it("hands over when the active relay's session is killed while events pour in: each published once, every stream in order", async () => {
    // What the relays said, shown with what held the events back if they do not all come out.
    const said: string[] = [];
    const recording = (relay: string): Logger => ({
      log: () => undefined, warn: (message) => said.push(`${relay}: ${message}`), error: (message) => said.push(`${relay}: ${message}`),
      debug: (message) => said.push(`${relay}: ${message}`),
    });
    const relays = [startRelay(recording('relay 1')), startRelay(recording('relay 2'))];
    await waitFor(() => relays.some((r) => r.active), 5000, 'an active relay');
    const [active, standby] = relays[0].active ? relays : [relays[1], relays[0]];
    const { rows } = await db.pool.query<{ pid: number }>(
      `SELECT l.pid FROM pg_locks l, hashtextextended($1, 0) AS k(key)
       WHERE l.locktype = 'advisory' AND l.granted AND l.objsubid = 1
         AND l.classid = ((k.key >> 32) & 4294967295)::oid AND l.objid = (k.key & 4294967295)::oid`,
      [`awan.relay.${db.schema}`],
    );
    expect(rows).toHaveLength(1);

    // Eight writers append for about a second; a third of the way in, the active relay's session is killed.
    const appended: RecordedEvent[] = [];
    const writing = Promise.all(Array.from({ length: 8 }, async (_, w) => {
      for (let i = 0; i < 40; i++) {
        appended.push(...(await store.append(`pool-h${w}`, [opened(`h${w}`)], { expectedVersion: i, metadata })));
        await new Promise((resolve) => setTimeout(resolve, 25));
      }
    }));
    await new Promise((resolve) => setTimeout(resolve, 300));
    await db.pool.query('SELECT pg_terminate_backend($1)', [rows[0].pid]);
    await waitFor(() => standby.active, 5000, 'the standby to take over');
    expect(active.active).toBe(false);
    await writing;

    await waitForPublished(appended.length).catch(async (error: Error) => {
      // The relay publishes only below the oldest transaction still running anywhere on the server.
      const writers = await db.pool.query(
        `SELECT datname, pid, state, now() - xact_start AS for, backend_xid, left(query, 100) AS query
         FROM pg_stat_activity WHERE backend_xid IS NOT NULL ORDER BY xact_start`,
      );
      const checkpoint = await db.pool.query(`SELECT * FROM ${db.schema}.relay_checkpoints`);
      throw new Error(
        `${error.message}: ${(await published()).length} of ${appended.length} published; active: ${relays.map((r) => r.active).join(', ')}; ` +
        `checkpoint ${JSON.stringify(checkpoint.rows)}; transactions holding an id: ${JSON.stringify(writers.rows)}; the relays said:\n${said.join('\n')}`,
      );
    });
    await new Promise((resolve) => setTimeout(resolve, 300)); // nothing more may arrive
    const messages = await published();
    expect(messages.map((m) => m.event.eventId).sort()).toEqual(appended.map((e) => e.eventId).sort());
    const inOrder = Array.from({ length: 40 }, (_, i) => i + 1).join();
    const disordered = Array.from({ length: 8 }, (_, w) => `pool-h${w}`)
      .filter((stream) => messages.filter((m) => m.event.streamId === stream).map((m) => m.event.version).join() !== inOrder);
    // Out of order, it shows the stream as stored and each batch the relays published.
    expect({ disordered, ...(disordered.length > 0 ? { stored: messages.map((m) => `${m.event.streamId}@${m.event.version}`).join(' '), said } : {}) })
      .toEqual({ disordered: [] });
  });

  it('after a relay is killed between publish and checkpoint, the next publishes nothing twice, and the consumer applies each event once', async () => {
    // A short duplicate window, so JetStream would keep republished copies and only the inbox could drop them.
    await ensureStream(nats.nats, {
      name: eventStreamName(service),
      subjects: [`events.${service}.>`],
      duplicate_window: nanos(100),
    });
    const appended = [];
    for (let i = 0; i < 10; i++) {
      appended.push(...(await store.append(`pool-k${i}`, [opened(`k${i}`)], { expectedVersion: 0, metadata })));
    }

    const fixture = runFixture('libs/event-store/test/relay-crash.fixture.ts', { FIXTURE_SCHEMA: db.schema, FIXTURE_SERVICE: service });
    expect(await fixture.exited).toBe('SIGKILL');
    expect(await published()).toHaveLength(10);
    expect((await db.pool.query('SELECT * FROM relay_checkpoints')).rows).toEqual([]);

    await new Promise((resolve) => setTimeout(resolve, 300)); // past the duplicate window
    startRelay();
    await waitFor(async () => (await db.pool.query('SELECT 1 FROM relay_checkpoints')).rowCount === 1, 15_000, 'the new relay\'s checkpoint');
    expect(await published()).toHaveLength(10); // it found the batch in the stream, and moved on
    // Copies as a relay that knew no better would send again: each reaches the consumer twice.
    await storeInStream(appended);
    await waitForPublished(20);

    running.push(await startEffectsConsumer(db, nats.nats, service));
    await waitFor(async () => {
      const info = await jsm.consumers.info(eventStreamName(service), 'effects');
      return info.delivered.stream_seq === 20 && info.num_ack_pending === 0;
    }, 15_000, 'the consumer to handle all 20 deliveries');

    const { rows } = await db.pool.query('SELECT event_id, count(*)::int AS times FROM effects GROUP BY event_id');
    expect(rows).toHaveLength(10);
    expect(rows.every((r) => r.times === 1)).toBe(true);
    expect(new Set(rows.map((r) => r.event_id))).toEqual(new Set(appended.map((e) => e.eventId)));
  });
});
