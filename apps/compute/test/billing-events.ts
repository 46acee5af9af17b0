import { randomUUID } from 'node:crypto';
import { jetstream, jetstreamManager, type PubAck } from '@nats-io/jetstream';
import type { NatsConnection } from '@nats-io/transport-node';
import { eventStreamName, eventSubject, SYSTEM_ACTOR, type BillingEvents, type EventEnvelope } from '#libs/contracts';
import { ensureEventStream } from '#libs/event-store';
import { waitFor } from '#libs/testing';

export type DunningEventType = 'AccountSuspended' | 'AccountReinstated';

/** One event of an account's dunning stream (`account-<accountId>`), as billing's relay publishes it. */
export function dunningEvent(
  accountId: string,
  type: DunningEventType,
  version: number,
): EventEnvelope<DunningEventType, BillingEvents[DunningEventType]> {
  return {
    eventId: randomUUID(),
    type,
    streamId: `account-${accountId}`,
    version,
    occurredAt: new Date().toISOString(),
    data: { accountId },
    metadata: { correlationId: randomUUID(), causationId: null, actor: SYSTEM_ACTOR },
  };
}

/**
 * Publishes to the BILLING stream with the event id as Nats-Msg-Id, as billing does; another
 * `msgID` gets a repeat past JetStream's duplicate window, as billing's relay would publish it
 * after the window.
 */
export async function publishBillingEvent(nats: NatsConnection, event: EventEnvelope, msgID = event.eventId): Promise<PubAck> {
  await ensureEventStream(nats, 'billing');
  return jetstream(nats).publish(eventSubject('billing', 'account', event.type), JSON.stringify(event), { msgID });
}

/** Resolves once compute's suspension consumer has acknowledged every message up to the stream sequence `seq`. */
export async function suspensionsHandled(nats: NatsConnection, seq: number, timeoutMs = 60_000): Promise<void> {
  const jsm = await jetstreamManager(nats);
  await waitFor(
    async () => (await jsm.consumers.info(eventStreamName('billing'), 'compute-suspensions')).ack_floor.stream_seq >= seq,
    timeoutMs,
    `compute-suspensions to acknowledge BILLING #${seq}`,
  );
}
