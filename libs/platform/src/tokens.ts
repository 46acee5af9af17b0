/** The raw NATS connection, for JetStream (Nest's NATS transport is core NATS only). */
export const NATS_CONNECTION = Symbol('NATS_CONNECTION');
