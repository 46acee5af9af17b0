import { DEFAULT_LEADER_LEASE_TIMEOUT_MS, DEFAULT_POOL_LIMITS, type PoolLimits, type SessionSettings } from '#libs/event-store';
import { readWholeNumber } from '#libs/platform';

/** Where a data-keeping service's PostgreSQL is, and the bounds of its pool (README, Configuration). */
export interface DatabaseConfig {
  url: string;
  limits: PoolLimits;
  /** LEADER_LEASE_TIMEOUT_MS: a leader (the relay, a job led by one replica) that cannot confirm its session and NATS within it stops acting. */
  leaderLeaseTimeoutMs: number;
  /** The service's own settings for its sessions, where its SQL reads its configuration. */
  sessionSettings?: SessionSettings;
}

const milliseconds = { expected: 'milliseconds, at least 100', min: 100 };

/** DATABASE_URL, the DATABASE_* bounds and LEADER_LEASE_TIMEOUT_MS, read once at start; a service that keeps data cannot start without the URL. */
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
    leaderLeaseTimeoutMs: readWholeNumber('LEADER_LEASE_TIMEOUT_MS', DEFAULT_LEADER_LEASE_TIMEOUT_MS, { expected: 'milliseconds, at least 1000', min: 1000 }, env),
  };
}
