import { AsyncLocalStorage } from 'node:async_hooks';
import pg from 'pg';
import { deadlineLeft, refuseAfterDeadline } from '#libs/deadlines';
import { ConcurrencyError } from './errors.js';

/** Anything that runs a query: the pool, or one client inside a transaction. */
export type Sql = Pick<pg.PoolClient, 'query'>;

/**
 * Every wait a service's session can make has a bound, so one tenant's pile-up answers
 * UNAVAILABLE (safe to retry) instead of holding connections for ever.
 */
export interface PoolLimits {
  /** Connections the pool keeps open at most. */
  max: number;
  /** How long a request waits for a free connection of the pool. */
  acquireTimeoutMs: number;
  /** How long a statement waits for a lock (a row, an advisory lock) before it fails. */
  lockTimeoutMs: number;
  /** How long one statement may run. */
  statementTimeoutMs: number;
  /** How long a session may sit idle inside a transaction before PostgreSQL ends it (it holds locks, and holds the relay back). */
  idleInTransactionTimeoutMs: number;
}

export const DEFAULT_POOL_LIMITS: PoolLimits = {
  max: 10,
  acquireTimeoutMs: 5000,
  lockTimeoutMs: 5000,
  statementTimeoutMs: 30_000,
  idleInTransactionTimeoutMs: 10_000,
};

/** The pools whose connection the running code holds (inside `withTransaction`). */
const heldPools = new AsyncLocalStorage<ReadonlySet<pg.Pool>>();

/**
 * A pool that refuses to hand a second connection to code already holding one of it: such code
 * waits for a connection its own kind may be holding, and ten of them wait for ever on a pool of
 * ten. The refusal is a programming error, found by the first test that takes the path.
 */
class ServicePool extends pg.Pool {
  constructor(
    config: pg.PoolConfig,
    readonly limits: PoolLimits,
  ) {
    super(config);
  }

  // pg's own query() takes its client through connect() too, so both are guarded here.
  override connect(): Promise<pg.PoolClient>;
  override connect(callback: (error: Error | undefined, client: pg.PoolClient | undefined, done: (release?: unknown) => void) => void): void;
  override connect(callback?: (error: Error | undefined, client: pg.PoolClient | undefined, done: (release?: unknown) => void) => void) {
    if (heldPools.getStore()?.has(this)) {
      const error = new Error('this code holds a connection of the pool already (a transaction): run its queries on that client, not on the pool');
      if (callback) return void callback(error, undefined, () => undefined);
      return Promise.reject(error);
    }
    return callback ? super.connect(callback) : super.connect();
  }
}

/**
 * A service's own settings for each of its sessions (`awan.<name>`: whole numbers), which its SQL
 * reads with current_setting: a check PostgreSQL makes itself, at the commit, by the service's configuration.
 */
export type SessionSettings = Record<`awan.${string}`, number>;

/**
 * A pool bound to one service's schema: unqualified names in its queries (read models,
 * projections) resolve there. Its sessions talk UTC and carry the limits' timeouts.
 */
export function createPool(connectionString: string, options: { schema?: string; settings?: SessionSettings } & Partial<PoolLimits> = {}): pg.Pool {
  const limits = { ...DEFAULT_POOL_LIMITS, ...options };
  const pool = new ServicePool({
    connectionString,
    max: limits.max,
    connectionTimeoutMillis: limits.acquireTimeoutMs,
    // Named after its service in pg_stat_activity and the server's log (a connection string's own name wins).
    ...(options.schema ? { application_name: `awan-${options.schema}` } : {}),
    options: [
      // UTC sessions: a timestamptz cast to a date (a billing month, say) must not follow the server's zone.
      '-c TimeZone=UTC',
      `-c lock_timeout=${limits.lockTimeoutMs}`,
      `-c statement_timeout=${limits.statementTimeoutMs}`,
      `-c idle_in_transaction_session_timeout=${limits.idleInTransactionTimeoutMs}`,
      ...(options.schema ? [`-c search_path=${sqlIdentifier(options.schema)}`] : []),
      ...Object.entries(options.settings ?? {}).map(([name, value]) => `-c ${name}=${value}`),
    ].join(' '),
  }, limits);
  // A client losing its server (PostgreSQL restarted) must not crash the process. The pool reports
  // it for idle clients; a checked-out client reports it itself, when it is between queries (the
  // relay's long-held session, a transaction awaiting other work). Its next query fails instead,
  // and the pool discards it on release; the next checkout connects again.
  pool.on('error', () => undefined);
  pool.on('connect', (client) => client.on('error', () => undefined));
  return pool;
}

/** What runs once each open withTransaction commits (nothing of it if it rolls back). */
const onCommit = new WeakMap<Sql, (() => void)[]>();

/** Runs `callback` once `sql`'s transaction has committed: at once outside one of withTransaction's. */
export function afterCommit(sql: Sql, callback: () => void): void {
  const callbacks = onCommit.get(sql);
  if (callbacks) callbacks.push(callback);
  else callback();
}

/**
 * Holds `keys` until the caller's transaction ends (advisory locks; each wait bounded by the pool's
 * lock_timeout): what is counted or folded under one key is judged by one transaction at a time.
 * Several are taken in one statement, in their order (PostgreSQL calls a volatile function of the
 * select list after the sort), so no two transactions wait on each other crosswise.
 */
export async function lockKeyInTransaction(tx: Sql, keys: string | readonly string[]): Promise<void> {
  await tx.query({
    // Named: every metered event and many commands take a lock, and an unnamed statement is parsed and planned on each.
    name: 'awan_lock_keys',
    text: 'SELECT pg_advisory_xact_lock(hashtextextended(key, 0)) FROM unnest($1::text[]) AS key ORDER BY key',
    values: [typeof keys === 'string' ? [keys] : keys],
  });
}

/**
 * How a transaction begins: handling a request with a deadline (libs/deadlines), none of its waits
 * (a lock, a statement) outlasts the time its caller has left, where the pool's bounds are longer.
 */
function beginStatement(pool: pg.Pool): string {
  const left = deadlineLeft();
  if (left === undefined || !(pool instanceof ServicePool)) return 'BEGIN';
  const ms = Math.max(1, Math.ceil(left)); // 0 would be no bound at all
  return `BEGIN; SET LOCAL lock_timeout = ${Math.min(ms, pool.limits.lockTimeoutMs)}; SET LOCAL statement_timeout = ${Math.min(ms, pool.limits.statementTimeoutMs)}`;
}

/**
 * Runs `work` in one transaction: committed when it resolves, rolled back when it throws. While
 * it runs, the same pool refuses `work` a second connection (see ServicePool). Handling a request
 * whose caller has stopped waiting, it rolls back instead of committing: the caller was answered
 * UNAVAILABLE, safe to retry, so nothing of the request may stay recorded.
 */
export async function withTransaction<T>(pool: pg.Pool, work: (tx: pg.PoolClient) => Promise<T>): Promise<T> {
  refuseAfterDeadline();
  const client = await pool.connect();
  const committed: (() => void)[] = [];
  try {
    await client.query(beginStatement(pool));
    onCommit.set(client, committed);
    const held = new Set(heldPools.getStore() ?? []).add(pool);
    const result = await heldPools.run(held, () => work(client));
    refuseAfterDeadline();
    await client.query('COMMIT');
    onCommit.delete(client);
    for (const callback of committed) callback();
    return result;
  } catch (error) {
    await client.query('ROLLBACK').catch(() => undefined);
    throw error;
  } finally {
    onCommit.delete(client);
    client.release();
  }
}

/**
 * Whether an error is PostgreSQL (or the pool) being busy or away rather than the request being
 * wrong: a lock or a connection not had in time, a statement cancelled by its timeout, a session
 * ended, a stream that kept moving under every retry. The request may be retried as it is.
 */
export function isTransientDatabaseError(error: unknown): boolean {
  if (error instanceof ConcurrencyError) return true;
  const e = error as { code?: unknown; message?: unknown } | null;
  const code = typeof e?.code === 'string' ? e.code : '';
  return (
    ['55P03', '57014', '25P03', '40001', '40P01', '53300', '57P01', '57P02', '57P03'].includes(code) ||
    code.startsWith('08') ||
    ['ECONNREFUSED', 'ECONNRESET', 'EPIPE', 'ETIMEDOUT'].includes(code) ||
    (typeof e?.message === 'string' && /^(timeout exceeded when trying to connect|Connection terminated)/.test(e.message))
  );
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
