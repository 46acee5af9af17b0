/** The raw NATS connection, for JetStream (Nest's NATS transport is core NATS only). */
export const NATS_CONNECTION = Symbol('NATS_CONNECTION');

/** How many replicas the JetStream streams and durable consumers a service makes have (NATS_STREAM_REPLICAS). */
export const NATS_STREAM_REPLICAS = Symbol('NATS_STREAM_REPLICAS');
