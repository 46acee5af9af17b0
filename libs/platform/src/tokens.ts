/** The raw NATS connection, for JetStream (Nest's NATS transport is core NATS only). */
export const NATS_CONNECTION = Symbol('NATS_CONNECTION');
/** A pg.Pool bound to the service's own schema. */
export const PG_POOL = Symbol('PG_POOL');
