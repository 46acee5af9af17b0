import type { PubAck } from '@nats-io/jetstream';
import type { NatsConnection } from '@nats-io/transport-node';
import type { BillingEvents, EventEnvelope } from '#libs/contracts';
import { consumerAcknowledged, eventEnvelope, publishEvent } from '#libs/testing';

export type DunningEventType = 'AccountSuspended' | 'AccountReinstated';

/** One event of an account's dunning stream (`account-<accountId>`), as billing's relay publishes it. */
export const dunningEvent = (accountId: string, type: DunningEventType, version: number) =>
  eventEnvelope<BillingEvents[DunningEventType]>(`account-${accountId}`, type, version, { accountId });

/** Publishes to the BILLING stream as billing does; another `msgID` is a repeat past JetStream's duplicate window. */
export const publishBillingEvent = (nats: NatsConnection, event: EventEnvelope, msgID = event.eventId): Promise<PubAck> => publishEvent(nats, 'billing', event, msgID);

/** Resolves once compute's suspension consumer has acknowledged every message up to the stream sequence `seq`. */
export function suspensionsHandled(nats: NatsConnection, seq: number, timeoutMs = 60_000): Promise<void> {
  return consumerAcknowledged(nats, 'billing', 'compute-suspensions', seq, timeoutMs);
}
