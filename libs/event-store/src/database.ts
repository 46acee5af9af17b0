import pg from 'pg';

/** Anything that runs a query: the pool, or one client inside a transaction. */
export type Sql = Pick<pg.PoolClient, 'query'>;

/**
 * A pool bound to one service's schema: unqualified names in its queries (read models,
 * projections) resolve there.
 */
export function createPool(connectionString: string, options: { schema?: string; max?: number } = {}): pg.Pool {
  const pool = new pg.Pool({
    connectionString,
    max: options.max ?? 10,
    // UTC sessions: a timestamptz cast to a date (a billing month, say) must not follow the server's zone.
    options: ['-c TimeZone=UTC', ...(options.schema ? [`-c search_path=${sqlIdentifier(options.schema)}`] : [])].join(' '),
  });
  // A client losing its server (PostgreSQL restarted) must not crash the process. The pool reports
  // it for idle clients; a checked-out client reports it itself, when it is between queries (the
  // relay's long-held session, a transaction awaiting other work). Its next query fails instead,
  // and the pool discards it on release; the next checkout connects again.
  pool.on('error', () => undefined);
  pool.on('connect', (client) => client.on('error', () => undefined));
  return pool;
}

/** Runs `work` in one transaction: committed when it resolves, rolled back when it throws. */
export async function withTransaction<T>(pool: pg.Pool, work: (tx: pg.PoolClient) => Promise<T>): Promise<T> {
  const client = await pool.connect();
  try {
    await client.query('BEGIN');
    const result = await work(client);
    await client.query('COMMIT');
    return result;
  } catch (error) {
    await client.query('ROLLBACK').catch(() => undefined);
    throw error;
  } finally {
    client.release();
  }
}

const IDENTIFIER = /^[a-z_][a-z0-9_]{0,62}$/;

/** A schema or table name, validated before it is ever spliced into SQL. */
export function sqlIdentifier(name: string): string {
  if (!IDENTIFIER.test(name)) {
    throw new Error(`invalid SQL identifier "${name}": lower-case letters, digits and _ only`);
  }
  return `"${name}"`;
}

export function isUniqueViolation(error: unknown, constraint?: string): boolean {
  return hasSqlState(error, '23505', constraint);
}

/** An EXCLUDE constraint refused the row (e.g. two overlapping ranges). */
export function isExclusionViolation(error: unknown, constraint?: string): boolean {
  return hasSqlState(error, '23P01', constraint);
}

function hasSqlState(error: unknown, code: string, constraint: string | undefined): boolean {
  const e = error as { code?: string; constraint?: string };
  return e?.code === code && (constraint === undefined || e.constraint === constraint);
}
