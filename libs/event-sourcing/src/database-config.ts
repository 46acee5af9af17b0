import { DEFAULT_POOL_LIMITS, type PoolLimits } from '#libs/event-store';
import { readWholeNumber } from '#libs/platform';

/** Where a data-keeping service's PostgreSQL is, and the bounds of its pool (README, Configuration). */
export interface DatabaseConfig {
  url: string;
  limits: PoolLimits;
}

const milliseconds = { expected: 'milliseconds, at least 100', min: 100 };

/** DATABASE_URL and the DATABASE_* bounds, read once at start; a service that keeps data cannot start without the URL. */
export function readDatabaseConfig(service: string, env: NodeJS.ProcessEnv = process.env): DatabaseConfig {
  if (!env.DATABASE_URL) {
    throw new Error(`${service} keeps data in PostgreSQL: set DATABASE_URL (or start Awan with "npm start", which runs one)`);
  }
  const d = DEFAULT_POOL_LIMITS;
  return {
    url: env.DATABASE_URL,
    limits: {
      max: readWholeNumber('DATABASE_POOL_SIZE', d.max, { expected: 'connections, 2 to 1000', min: 2, max: 1000 }, env),
      acquireTimeoutMs: readWholeNumber('DATABASE_ACQUIRE_TIMEOUT_MS', d.acquireTimeoutMs, milliseconds, env),
      lockTimeoutMs: readWholeNumber('DATABASE_LOCK_TIMEOUT_MS', d.lockTimeoutMs, milliseconds, env),
      statementTimeoutMs: readWholeNumber('DATABASE_STATEMENT_TIMEOUT_MS', d.statementTimeoutMs, milliseconds, env),
      idleInTransactionTimeoutMs: readWholeNumber('DATABASE_IDLE_IN_TRANSACTION_TIMEOUT_MS', d.idleInTransactionTimeoutMs, milliseconds, env),
    },
  };
}
