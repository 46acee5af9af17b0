/** A pg.Pool bound to the service's own schema. */
export const PG_POOL = Symbol('PG_POOL');
