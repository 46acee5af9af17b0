import { jetstream, jetstreamManager, type ConsumerMessages, type JetStreamManager } from '@nats-io/jetstream';
import { randomUUID } from 'node:crypto';
import { eventStreamName, SYSTEM_ACTOR, type EventEnvelope } from '#libs/contracts';
import { connectTestNats, createTestDatabase, runFixture, uniqueName, waitFor, type TestDatabase, type TestNats } from '#libs/testing';
import { effectsMigration, recordEffect, startEffectsConsumer } from '../test/effects.js';
import type { ConsumerOptions, EventConsumer } from './consumer.js';
import { ensureEventStream } from './jetstream.js';
import { eventStoreMigrations, migrate } from './migrations.js';

describe('durable event consumer with an inbox', () => {
  let db: TestDatabase;
  let nats: TestNats;
  let jsm: JetStreamManager;
  let service: string;
  const consumers: EventConsumer[] = [];

  beforeEach(async () => {
    db = await createTestDatabase('cons');
    await migrate(db.pool, db.schema, [...eventStoreMigrations, effectsMigration]);
    nats = await connectTestNats();
    jsm = await jetstreamManager(nats.nats);
    service = uniqueName('svc');
    await ensureEventStream(nats.nats, service); // the producer's stream, which these tests publish to
  });
  /** Handlers that block until released: released before the consumers stop, even after a failure. */
  const blocked: (() => void)[] = [];
  afterEach(async () => {
    blocked.splice(0).forEach((release) => release());
    await Promise.all(consumers.splice(0).map((c) => c.stop()));
    await nats.close(eventStreamName(service), `${eventStreamName(service)}_DEADLETTER`);
    await db.close();
  });

  async function publishEvent(type = 'CapacityOpened', streamId = `pool-${randomUUID()}`, version = 1): Promise<EventEnvelope> {
    const event: EventEnvelope = {
      eventId: randomUUID(),
      type,
      streamId,
      version,
      occurredAt: new Date().toISOString(),
      data: { capacity: 1 },
      metadata: { correlationId: 'c', causationId: null, actor: SYSTEM_ACTOR },
    };
    await jetstream(nats.nats).publish(`events.${service}.pool.${type}`, JSON.stringify(event), { msgID: event.eventId });
    return event;
  }

  async function startConsumer(options: Partial<ConsumerOptions> = {}): Promise<EventConsumer> {
    const consumer = await startEffectsConsumer(db, nats.nats, service, options);
    consumers.push(consumer);
    return consumer;
  }

  async function effectCounts(): Promise<Map<string, number>> {
    const { rows } = await db.pool.query('SELECT event_id, count(*)::int AS times FROM effects GROUP BY event_id');
    return new Map(rows.map((r) => [r.event_id, r.times]));
  }

  async function settled(deliveries: number) {
    await waitFor(async () => {
      const info = await jsm.consumers.info(eventStreamName(service), 'effects');
      return info.num_pending === 0 && info.num_ack_pending === 0 && info.delivered.consumer_seq >= deliveries && info;
    }, 20_000, `the consumer to settle after ${deliveries} deliveries`);
  }

  it('hands it only the event types it is for, and acknowledges the others', async () => {
    await startConsumer({ eventTypes: ['CapacityOpened'] });
    const wanted = await publishEvent();
    await publishEvent('CapacityClosed');
    await settled(2);
    expect([...(await effectCounts()).entries()]).toEqual([[wanted.eventId, 1]]);
  });

  it('does not apply an effect twice when the consumer was killed after the effect and before its ack', async () => {
    const event = await publishEvent();
    const fixture = runFixture('libs/event-store/test/consumer-crash.fixture.ts', {
      FIXTURE_SCHEMA: db.schema,
      FIXTURE_SERVICE: service,
      FIXTURE_CONSUMER: 'effects',
      FIXTURE_ACK_WAIT_MS: '1000',
    });
    expect(await fixture.exited).toBe('SIGKILL');
    expect(await effectCounts()).toEqual(new Map([[event.eventId, 1]]));

    const redelivered: string[] = [];
    await startConsumer({ ackWaitMs: 1000, onHandled: (e) => void redelivered.push(e.eventId) });
    await settled(2);

    expect(redelivered).toEqual([event.eventId]); // it did come again…
    expect(await effectCounts()).toEqual(new Map([[event.eventId, 1]])); // …and changed nothing
  });

  it('retries a failing event with backoff, then dead-letters it with the error', async () => {
    const attempts: number[] = [];
    await startConsumer({
      maxDeliver: 3,
      backoffMs: [100, 300],
      handle: async () => {
        attempts.push(Date.now());
        throw new Error('downstream refused');
      },
    });
    const event = await publishEvent();

    const deadLetters = `${eventStreamName(service)}_DEADLETTER`;
    const letter = await waitFor(
      async () => (await jsm.streams.getMessage(deadLetters, { seq: 1 }).catch(() => null)) ?? undefined,
      10_000,
      'a dead letter',
    );
    expect(letter!.subject).toBe(`deadletter.${service}.effects`);
    expect(letter!.header.get('Awan-Error')).toBe('downstream refused');
    expect(letter!.header.get('Awan-Deliveries')).toBe('3');
    expect(letter!.json<EventEnvelope>().eventId).toBe(event.eventId);
    expect(attempts).toHaveLength(3);
    expect(attempts[1] - attempts[0]).toBeGreaterThanOrEqual(90);
    expect(attempts[2] - attempts[1]).toBeGreaterThanOrEqual(290);
    await settled(3);
    expect(await effectCounts()).toEqual(new Map());
  });

  it('dead-letters into its dead-letter stream made again where that was lost', async () => {
    await startConsumer({ maxDeliver: 1, handle: async () => { throw new Error('downstream refused'); } });
    const deadLetters = `${eventStreamName(service)}_DEADLETTER`;
    await jsm.streams.delete(deadLetters);
    const event = await publishEvent();

    const letter = await waitFor(async () => (await jsm.streams.getMessage(deadLetters, { seq: 1 }).catch(() => null)) ?? undefined, 10_000, 'a dead letter');
    expect(letter!.json<EventEnvelope>().eventId).toBe(event.eventId);
    expect(letter!.header.get('Awan-Error')).toBe('downstream refused');
  });

  it('recovers from a passing failure: the effect commits once, on a later delivery', async () => {
    let failures = 1;
    await startConsumer({
      backoffMs: [50],
      handle: async (event, tx) => {
        await recordEffect(event, tx); // rolled back with the failure
        if (failures-- > 0) throw new Error('transient');
      },
    });
    const event = await publishEvent();
    await settled(2);
    expect(await effectCounts()).toEqual(new Map([[event.eventId, 1]]));
  });

  it('fetches again when the client ends its fetch on a fault, and handles what comes next', async () => {
    const consumer = await startConsumer();
    const before = await publishEvent();
    await settled(1);
    // The client's own way of ending a consumption it deems failed (a 400 from the server, a subscription refused).
    (consumer as unknown as { batch: ConsumerMessages }).batch.stop(new Error('bad request'));
    const after = await publishEvent();
    await settled(2);
    expect(await effectCounts()).toEqual(new Map([[before.eventId, 1], [after.eventId, 1]]));
  });

  it('keeps the events it has not begun alive: a backlog longer than the ack wait is delivered and applied once each', async () => {
    // One at a time, 300 ms each: the tenth waits about 3 s, three times the ack wait.
    await startConsumer({
      inbox: false,
      concurrency: 1,
      ackWaitMs: 1000,
      handle: async (event, pool) => {
        await recordEffect(event, pool);
        await new Promise((resolve) => setTimeout(resolve, 300));
      },
    });
    const events = await Promise.all(Array.from({ length: 10 }, () => publishEvent()));
    const info = await waitFor(async () => {
      const counts = await effectCounts();
      return counts.size === 10 && (await jsm.consumers.info(eventStreamName(service), 'effects'));
    }, 20_000, 'the backlog to be applied');
    await settled(10);
    const counts = await effectCounts();
    expect(new Set(counts.keys())).toEqual(new Set(events.map((e) => e.eventId)));
    expect([...counts.values()]).toEqual(Array(10).fill(1));
    expect(info.num_redelivered).toBe(0);
    expect((await jsm.consumers.info(eventStreamName(service), 'effects')).delivered.consumer_seq).toBe(10);
  });

  it('handles at most its concurrency at once, and the events of one stream one after another, in order', async () => {
    let running = 0;
    let most = 0;
    const handled = new Map<string, number[]>();
    await startConsumer({
      concurrency: 3,
      handle: async (event, tx) => {
        most = Math.max(most, ++running);
        await new Promise((resolve) => setTimeout(resolve, 30));
        handled.set(event.streamId, [...(handled.get(event.streamId) ?? []), event.version]);
        await recordEffect(event, tx);
        running--;
      },
    });
    for (let version = 1; version <= 4; version++) {
      for (const stream of ['pool-a', 'pool-b', 'pool-c', 'pool-d', 'pool-e']) await publishEvent('CapacityOpened', stream, version);
    }
    await settled(20);
    expect(most).toBe(3);
    expect(Object.fromEntries(handled)).toEqual(Object.fromEntries(['a', 'b', 'c', 'd', 'e'].map((s) => [`pool-${s}`, [1, 2, 3, 4]])));
  });

  /** A handler that blocks on the events of `stream` until `release` is called. */
  function blockedOn(stream: string) {
    let release!: () => void;
    const released = new Promise<void>((resolve) => (release = resolve));
    blocked.push(release);
    const begun: string[] = [];
    const handle: ConsumerOptions['handle'] = async (event, tx) => {
      begun.push(event.eventId);
      if (event.streamId === stream) await released;
      await recordEffect(event, tx);
    };
    return { handle, begun, release };
  }

  it('holds at most twice its concurrency while its handler is stuck, and another replica takes the rest of the backlog', async () => {
    const stuck = blockedOn('pool-stuck');
    await startConsumer({ concurrency: 1, handle: stuck.handle });
    const first = await publishEvent('CapacityOpened', 'pool-stuck');
    await waitFor(() => stuck.begun.length === 1, 10_000, 'the first event to begin');
    const rest = await Promise.all(Array.from({ length: 10 }, () => publishEvent()));
    await new Promise((resolve) => setTimeout(resolve, 500)); // time to fetch more, were it to
    const held = await jsm.consumers.info(eventStreamName(service), 'effects');
    expect(held.num_ack_pending).toBe(2); // the stuck one, and one ready behind it

    const other = blockedOn('none');
    await startConsumer({ concurrency: 1, handle: other.handle });
    await waitFor(async () => (await effectCounts()).size === 9, 10_000, 'the other replica to apply the rest');
    expect(stuck.begun).toEqual([first.eventId]);
    expect(new Set(other.begun).size).toBe(9);

    stuck.release();
    await settled(11);
    const counts = await effectCounts();
    expect(new Set(counts.keys())).toEqual(new Set([first, ...rest].map((e) => e.eventId)));
    expect([...counts.values()].every((n) => n === 1)).toBe(true);
  });

  it('acknowledges at once an event it is not for, though an earlier event of its stream still runs', async () => {
    const stuck = blockedOn('pool-stuck');
    await startConsumer({ concurrency: 1, eventTypes: ['CapacityOpened'], handle: stuck.handle });
    const first = await publishEvent('CapacityOpened', 'pool-stuck', 1);
    await waitFor(() => stuck.begun.length === 1, 10_000, 'the first event to begin');
    await publishEvent('CapacityClosed', 'pool-stuck', 2);
    const info = await waitFor(async () => {
      const consumer = await jsm.consumers.info(eventStreamName(service), 'effects');
      return consumer.delivered.consumer_seq === 2 && consumer.num_pending === 0 && consumer;
    }, 10_000, 'the second event to be delivered');
    await new Promise((resolve) => setTimeout(resolve, 500)); // time to acknowledge it
    expect((await jsm.consumers.info(eventStreamName(service), 'effects')).num_ack_pending).toBe(1); // the stuck one alone
    expect(info.num_redelivered).toBe(0);
    stuck.release();
    await settled(2);
    expect(await effectCounts()).toEqual(new Map([[first.eventId, 1]]));
  });

  it('gives back at once, when it stops, the events it has not begun, and settles the one it runs', async () => {
    const stuck = blockedOn('pool-stuck');
    const stopping = await startConsumer({ concurrency: 1, handle: stuck.handle });
    const first = await publishEvent('CapacityOpened', 'pool-stuck');
    const next = await publishEvent();
    await waitFor(async () => stuck.begun.length === 1 && (await jsm.consumers.info(eventStreamName(service), 'effects')).num_ack_pending === 2, 10_000, 'both events held, the first begun');
    const stopped = stopping.stop();

    const other = blockedOn('none');
    await startConsumer({ concurrency: 1, handle: other.handle });
    await waitFor(async () => (await effectCounts()).has(next.eventId), 5_000, 'the other replica to apply the event given back');
    expect(stuck.begun).toEqual([first.eventId]);

    stuck.release();
    await stopped;
    expect(await effectCounts()).toEqual(new Map([[first.eventId, 1], [next.eventId, 1]]));
  });

  it('shares one durable consumer between replicas, each event applied once', async () => {
    const handledBy = new Map<string, number>();
    for (const replica of [1, 2]) {
      await startConsumer({ onHandled: () => void handledBy.set(String(replica), (handledBy.get(String(replica)) ?? 0) + 1) });
    }
    const events = await Promise.all(Array.from({ length: 40 }, () => publishEvent()));
    await settled(40);
    const counts = await effectCounts();
    expect(counts.size).toBe(40);
    expect([...counts.values()].every((n) => n === 1)).toBe(true);
    expect(new Set(counts.keys())).toEqual(new Set(events.map((e) => e.eventId)));
    expect((handledBy.get('1') ?? 0) + (handledBy.get('2') ?? 0)).toBe(40);
  });
});
