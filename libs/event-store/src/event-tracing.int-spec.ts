import { SpanKind } from '@opentelemetry/api';
import { eventStreamName, SYSTEM_ACTOR, type EventMetadata } from '#libs/contracts';
import { activeTraceContext, inSpan } from '#libs/tracing';
import { connectTestNats, createTestDatabase, quietLogger, recordSpans, uniqueName, waitFor, type RecordedSpans, type TestDatabase, type TestNats } from '#libs/testing';
import { effectsMigration, recordEffect, startEffectsConsumer } from '../test/effects.js';
import type { EventConsumer } from './consumer.js';
import { EventStore } from './event-store.js';
import { eventStoreMigrations, migrate } from './migrations.js';
import { EventRelay } from './relay.js';

const metadata: EventMetadata = { correlationId: 'c-1', causationId: null, actor: SYSTEM_ACTOR };

describe('a trace carried with events, through the relay to a consumer', () => {
  let db: TestDatabase;
  let nats: TestNats;
  let store: EventStore;
  let relay: EventRelay;
  let consumer: EventConsumer;
  let spans: RecordedSpans;
  let service: string;
  /** The trace context each handled event's effect saw as active. */
  const seen = new Map<string, string | undefined>();

  beforeAll(async () => {
    spans = await recordSpans();
    db = await createTestDatabase('trace');
    await migrate(db.pool, db.schema, [...eventStoreMigrations, effectsMigration]);
    nats = await connectTestNats();
    service = uniqueName('svc');
    store = new EventStore(db.pool, db.schema);
    relay = new EventRelay({ store, service, nats: nats.nats, pollIntervalMs: 50, logger: quietLogger });
    relay.start();
    consumer = await startEffectsConsumer(db, nats.nats, service, {
      handle: async (event, tx) => {
        seen.set(event.eventId, activeTraceContext()?.traceparent);
        await recordEffect(event, tx);
      },
    });
  });
  afterAll(async () => {
    await consumer?.stop();
    await relay?.stop();
    await nats?.close(eventStreamName(service), `${eventStreamName(service)}_DEADLETTER`);
    await db?.close();
    await spans?.stop();
  });

  it("keeps the appending work's trace context in the event's metadata, and the consumer's effect is a span under it", async () => {
    const [event] = await inSpan(() => ({ name: 'compute.instance.create', kind: SpanKind.SERVER }), undefined, () =>
      store.append(`pool-${uniqueName('p')}`, [{ type: 'CapacityOpened', data: { capacity: 1 } }], { expectedVersion: 0, metadata }));
    const [appending] = await spans.finished();
    const traceparent = `00-${appending.spanContext().traceId}-${appending.spanContext().spanId}-01`;
    expect(event.metadata).toEqual({ ...metadata, traceparent });
    expect((await store.readStream(event.streamId))[0].metadata).toEqual({ ...metadata, traceparent });

    await waitFor(() => seen.has(event.eventId), 15_000, 'the consumer to handle the event');
    const consuming = (await spans.finished()).find((span) => span.name === 'consume effects CapacityOpened')!;
    expect(consuming.kind).toBe(SpanKind.CONSUMER);
    expect(consuming.spanContext().traceId).toBe(appending.spanContext().traceId);
    expect(consuming.parentSpanContext?.spanId).toBe(appending.spanContext().spanId);
    expect(consuming.attributes).toMatchObject({ 'messaging.consumer.group.name': 'effects', 'messaging.message.id': event.eventId, 'awan.stream.id': event.streamId });
    // What the effect does (a request, an append of its own) continues from the consumer's span.
    expect(seen.get(event.eventId)).toBe(`00-${consuming.spanContext().traceId}-${consuming.spanContext().spanId}-01`);
  });

  it('adds nothing to an event the system\'s own work appended outside traced work, whose consumer starts a trace of its own', async () => {
    const [event] = await store.append(`pool-${uniqueName('p')}`, [{ type: 'CapacityOpened', data: { capacity: 2 } }], { expectedVersion: 0, metadata });
    expect((await store.readStream(event.streamId))[0].metadata).toEqual(metadata);
    await waitFor(() => seen.has(event.eventId), 15_000, 'the consumer to handle the event');
    // The effect is seen before its span ends: wait for this event's own span, not the last one finished.
    const consuming = await waitFor(async () => (await spans.finished()).find((span) => span.attributes['messaging.message.id'] === event.eventId), 15_000, "the consumer's span to end");
    expect(consuming.parentSpanContext).toBeUndefined();
  });

  it("traces nothing of an event without trace context that a caller's operation, or another event, caused: its start was left out by the sampler", async () => {
    const byCaller: EventMetadata = { correlationId: 'c-2', causationId: null, actor: { kind: 'account', accountId: 'a-1', role: 'CUSTOMER' } };
    const followUp: EventMetadata = { correlationId: 'c-2', causationId: 'e-1', actor: SYSTEM_ACTOR };
    for (const caused of [byCaller, followUp]) {
      const [event] = await store.append(`pool-${uniqueName('p')}`, [{ type: 'CapacityOpened', data: { capacity: 3 } }], { expectedVersion: 0, metadata: caused });
      await waitFor(() => seen.has(event.eventId), 15_000, 'the consumer to handle the event');
      expect(seen.get(event.eventId)).toBeUndefined();
      expect((await spans.finished()).filter((span) => span.attributes['messaging.message.id'] === event.eventId)).toEqual([]);
    }
  });
});
