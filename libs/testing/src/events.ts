import { randomUUID } from 'node:crypto';
import { jetstream, jetstreamManager, type PubAck } from '@nats-io/jetstream';
import type { NatsConnection } from '@nats-io/transport-node';
import { aggregateOf, eventStreamName, eventSubject, SYSTEM_ACTOR, type EventEnvelope } from '#libs/contracts';
import { ensureEventStream } from '#libs/event-store';
import { waitFor } from './environment.js';

/** An event as a service's relay publishes it; a test stands in for a service that is not running. */
export function eventEnvelope<Data>(streamId: string, type: string, version: number, data: Data, occurredAt: Date | string = new Date()): EventEnvelope<string, Data> {
  return {
    eventId: randomUUID(), type, streamId, version, data,
    occurredAt: typeof occurredAt === 'string' ? occurredAt : occurredAt.toISOString(),
    metadata: { correlationId: randomUUID(), causationId: null, actor: SYSTEM_ACTOR },
  };
}

/**
 * Publishes to the service's stream with the event id as Nats-Msg-Id, as its relay does. Another
 * `msgID` publishes a repeat past JetStream's duplicate window, as a relay would after a crash.
 */
export async function publishEvent(nats: NatsConnection, service: string, event: EventEnvelope, msgID = event.eventId): Promise<PubAck> {
  await ensureEventStream(nats, service);
  return jetstream(nats).publish(eventSubject(service, aggregateOf(event.streamId), event.type), JSON.stringify(event), { msgID });
}

/**
 * Resolves once `consumer` of the service's stream has acknowledged every message up to the stream
 * sequence `seq` (the stream's last one where none is given): each was handled, or given up on.
 */
export async function consumerAcknowledged(nats: NatsConnection, service: string, consumer: string, seq?: number, timeoutMs = 60_000): Promise<void> {
  const jsm = await jetstreamManager(nats);
  const stream = eventStreamName(service);
  const upTo = seq ?? (await jsm.streams.info(stream)).state.last_seq;
  await waitFor(async () => (await jsm.consumers.info(stream, consumer)).ack_floor.stream_seq >= upTo, timeoutMs, `${consumer} to acknowledge ${stream} #${upTo}`);
}
