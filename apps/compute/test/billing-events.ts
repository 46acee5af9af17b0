import { jetstreamManager, type PubAck } from '@nats-io/jetstream';
import type { NatsConnection } from '@nats-io/transport-node';
import { eventStreamName, type BillingEvents, type EventEnvelope } from '#libs/contracts';
import { eventEnvelope, publishEvent, waitFor } from '#libs/testing';

export type DunningEventType = 'AccountSuspended' | 'AccountReinstated';

/** One event of an account's dunning stream (`account-<accountId>`), as billing's relay publishes it. */
export const dunningEvent = (accountId: string, type: DunningEventType, version: number) =>
  eventEnvelope<BillingEvents[DunningEventType]>(`account-${accountId}`, type, version, { accountId });

/** Publishes to the BILLING stream as billing does; another `msgID` is a repeat past JetStream's duplicate window. */
export const publishBillingEvent = (nats: NatsConnection, event: EventEnvelope, msgID = event.eventId): Promise<PubAck> => publishEvent(nats, 'billing', event, msgID);

/** Resolves once compute's suspension consumer has acknowledged every message up to the stream sequence `seq`. */
export async function suspensionsHandled(nats: NatsConnection, seq: number, timeoutMs = 60_000): Promise<void> {
  const jsm = await jetstreamManager(nats);
  await waitFor(
    async () => (await jsm.consumers.info(eventStreamName('billing'), 'compute-suspensions')).ack_floor.stream_seq >= seq,
    timeoutMs,
    `compute-suspensions to acknowledge BILLING #${seq}`,
  );
}
