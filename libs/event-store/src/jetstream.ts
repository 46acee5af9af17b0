import { JetStreamApiCodes, JetStreamApiError, jetstreamManager, RetentionPolicy, StorageType, type StreamConfig, type StreamInfo } from '@nats-io/jetstream';
import { nanos, type NatsConnection } from '@nats-io/transport-node';
import { eventStreamName } from '#libs/contracts';

/** JetStream drops a repeated Nats-Msg-Id only inside this window; consumers' inboxes cover the rest. */
const DUPLICATE_WINDOW_MS = 2 * 60 * 1000;

/** Whether JetStream answered that the stream, or the consumer, asked for does not exist. */
export function isMissing(error: unknown): boolean {
  return error instanceof JetStreamApiError && (error.code === JetStreamApiCodes.StreamNotFound || error.code === JetStreamApiCodes.ConsumerNotFound);
}

/**
 * Creates a stream when it is missing (never made, or lost: deleted, or on a NATS that lost its
 * store), with `replicas` (NATS_STREAM_REPLICAS) where given; an existing one keeps whatever limits
 * operators gave it, but not another number of replicas: a stream made on one server is raised to
 * the cluster's three when the setting says so (JetStream copies its messages to the new replicas
 * itself). Returns the stream as it stands.
 */
export async function ensureStream(nats: NatsConnection, config: Partial<StreamConfig> & { name: string }, replicas?: number): Promise<StreamInfo> {
  const jsm = await jetstreamManager(nats);
  let existing: StreamInfo;
  try {
    existing = await jsm.streams.info(config.name);
  } catch (error) {
    if (!isMissing(error)) throw error;
    return jsm.streams.add({
      storage: StorageType.File,
      retention: RetentionPolicy.Limits,
      duplicate_window: nanos(DUPLICATE_WINDOW_MS),
      ...(replicas ? { num_replicas: replicas } : {}),
      ...config,
    });
  }
  if (replicas && existing.config.num_replicas !== replicas) return jsm.streams.update(config.name, { ...existing.config, num_replicas: replicas });
  return existing;
}

/** The stream of a service's domain events: `COMPUTE` holds `events.compute.>`. */
export function ensureEventStream(nats: NatsConnection, service: string, replicas?: number): Promise<StreamInfo> {
  return ensureStream(nats, { name: eventStreamName(service), subjects: [`events.${service}.>`] }, replicas);
}

/** Where a service's consumers put events they gave up on, kept for an operator to inspect. */
export function ensureDeadLetterStream(nats: NatsConnection, service: string, replicas?: number): Promise<StreamInfo> {
  return ensureStream(nats, { name: `${eventStreamName(service)}_DEADLETTER`, subjects: [`deadletter.${service}.>`] }, replicas);
}
