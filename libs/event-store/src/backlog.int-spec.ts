import { jetstream } from '@nats-io/jetstream';
import { randomUUID } from 'node:crypto';
import { eventStreamName, SYSTEM_ACTOR, type EventEnvelope, type EventMetadata } from '#libs/contracts';
import { connectTestNats, createTestDatabase, quietLogger, uniqueName, waitFor, type TestDatabase, type TestNats } from '#libs/testing';
import { effectsMigration, startEffectsConsumer } from '../test/effects.js';
import { readConsumerBacklog, readDeadLetters, readRelayBacklog, readWithin } from './backlog.js';
import type { EventConsumer } from './consumer.js';
import { EventStore } from './event-store.js';
import { ensureEventStream } from './jetstream.js';
import { eventStoreMigrations, migrate } from './migrations.js';
import { EventRelay } from './relay.js';

const metadata: EventMetadata = { correlationId: 'c-1', causationId: null, actor: SYSTEM_ACTOR };

describe('what the relay and the consumers have yet to do, as metrics read it', () => {
  let db: TestDatabase;
  let nats: TestNats;
  let store: EventStore;
  let service: string;
  const running: (EventRelay | EventConsumer)[] = [];

  beforeEach(async () => {
    db = await createTestDatabase('backlog');
    await migrate(db.pool, db.schema, [...eventStoreMigrations, effectsMigration]);
    nats = await connectTestNats();
    store = new EventStore(db.pool, db.schema);
    service = uniqueName('svc');
  });
  afterEach(async () => {
    await Promise.all(running.splice(0).map((r) => r.stop()));
    await nats.close(eventStreamName(service), `${eventStreamName(service)}_DEADLETTER`);
    await db.close();
  });

  it("counts the events the relay has not published, and the oldest one's age, until it has", async () => {
    expect(await readRelayBacklog(store, `${service}-relay`, 2000)).toEqual({ unpublished: 0, oldestAgeSeconds: 0 });
    for (let i = 0; i < 3; i++) await store.append(`pool-${i}`, [{ type: 'CapacityOpened', data: { capacity: i } }], { expectedVersion: 0, metadata });
    await new Promise((resolve) => setTimeout(resolve, 300));
    const waiting = await readRelayBacklog(store, `${service}-relay`, 2000);
    expect(waiting.unpublished).toBe(3);
    expect(waiting.oldestAgeSeconds).toBeGreaterThanOrEqual(0.3);
    const relay = new EventRelay({ store, service, nats: nats.nats, pollIntervalMs: 50, logger: quietLogger });
    relay.start();
    running.push(relay);
    await waitFor(async () => (await readRelayBacklog(store, `${service}-relay`, 2000)).unpublished === 0, 15_000, 'the relay to publish');
    // Its checkpoint, not the events' positions, says what is published: a later event counts alone.
    await relay.stop();
    await store.append('pool-late', [{ type: 'CapacityOpened', data: { capacity: 9 } }], { expectedVersion: 0, metadata });
    expect((await readRelayBacklog(store, `${service}-relay`, 2000)).unpublished).toBe(1);
  });

  it("reads a consumer's pending events and the events it dead-lettered, by consumer", async () => {
    await ensureEventStream(nats.nats, service);
    expect(await readDeadLetters(nats.nats, service)).toEqual(new Map());
    const publish = async () => {
      const event: EventEnvelope = {
        eventId: randomUUID(), type: 'CapacityOpened', streamId: `pool-${randomUUID()}`, version: 1, occurredAt: new Date().toISOString(),
        data: { capacity: 1 }, metadata,
      };
      await jetstream(nats.nats).publish(`events.${service}.pool.CapacityOpened`, JSON.stringify(event), { msgID: event.eventId });
    };
    await publish();
    await publish();
    const consumer = await startEffectsConsumer(db, nats.nats, service, {
      handle: async () => {
        throw new Error('always fails');
      },
      maxDeliver: 2,
      backoffMs: [50],
    });
    running.push(consumer);
    await waitFor(async () => (await readDeadLetters(nats.nats, service)).get('effects') === 2, 20_000, 'both events dead-lettered');
    expect(await readConsumerBacklog(nats.nats, service, 'effects')).toEqual({ pending: 0, ackPending: 0, redelivered: 0 });
    await consumer.stop();
    await publish();
    expect((await readConsumerBacklog(nats.nats, service, 'effects')).pending).toBe(1);
  });

  it('bounds a read on the server too: a slow statement is cancelled at its timeout', async () => {
    const started = performance.now();
    await expect(readWithin(db.pool, 200, 'SELECT pg_sleep(5)')).rejects.toMatchObject({ code: '57014' });
    expect(performance.now() - started).toBeLessThan(2000);
    expect(await readWithin(db.pool, 200, 'SELECT 1 AS one')).toEqual([{ one: 1 }]);
  });
});
