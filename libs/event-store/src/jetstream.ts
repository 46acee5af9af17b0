import { jetstreamManager, RetentionPolicy, StorageType, type StreamConfig } from '@nats-io/jetstream';
import { nanos, type NatsConnection } from '@nats-io/transport-node';
import { eventStreamName } from '#libs/contracts';

/** JetStream drops a repeated Nats-Msg-Id only inside this window; consumers' inboxes cover the rest. */
const DUPLICATE_WINDOW_MS = 2 * 60 * 1000;

/** Creates a stream when it is missing; an existing one keeps whatever limits operators gave it. */
export async function ensureStream(nats: NatsConnection, config: Partial<StreamConfig> & { name: string }): Promise<void> {
  const jsm = await jetstreamManager(nats);
  try {
    await jsm.streams.info(config.name);
  } catch {
    await jsm.streams.add({
      storage: StorageType.File,
      retention: RetentionPolicy.Limits,
      duplicate_window: nanos(DUPLICATE_WINDOW_MS),
      ...config,
    });
  }
}

/** The stream of a service's domain events: `COMPUTE` holds `events.compute.>`. */
export function ensureEventStream(nats: NatsConnection, service: string): Promise<void> {
  return ensureStream(nats, { name: eventStreamName(service), subjects: [`events.${service}.>`] });
}

/** Where a service's consumers put events they gave up on, kept for an operator to inspect. */
export function ensureDeadLetterStream(nats: NatsConnection, service: string): Promise<void> {
  return ensureStream(nats, { name: `${eventStreamName(service)}_DEADLETTER`, subjects: [`deadletter.${service}.>`] });
}
