import { DEFAULT_POOL_LIMITS, type PoolLimits } from '#libs/event-store';

/** What every service process reads from its environment (README, Configuration). */
export interface ServiceConfig {
  service: string;
  /** PostgreSQL; the service keeps its data in its own schema there. */
  databaseUrl: string | undefined;
  /** Its pool's size and the bound of every wait its sessions make. */
  database: PoolLimits;
  natsUrl: string;
  /** The HTTP port of its health check (and, for the gateway, of the API). */
  port: number;
  host: string;
}

/**
 * A whole number from the environment, `fallback` when unset. Anything else, or a number
 * outside min..max, stops the process with the variable named and `expected` as the rule.
 */
export function readWholeNumber(
  variable: string,
  fallback: number,
  rule: { expected: string; min?: number; max?: number },
  env: NodeJS.ProcessEnv = process.env,
): number {
  const value = env[variable] ?? String(fallback);
  const number = Number(value);
  if (!/^\d+$/.test(value) || number < (rule.min ?? 0) || number > (rule.max ?? Number.MAX_SAFE_INTEGER)) {
    throw new Error(`${variable} must be ${rule.expected}, got "${value}"`);
  }
  return number;
}

/** The gateway's API port is GATEWAY_PORT; every other service's health port is PORT. */
export function readServiceConfig(
  service: string,
  port: { variable: 'PORT' | 'GATEWAY_PORT'; default: number },
  env = process.env,
): ServiceConfig {
  return {
    service,
    databaseUrl: env.DATABASE_URL,
    database: readPoolLimits(env),
    natsUrl: env.NATS_URL ?? 'nats://127.0.0.1:4222',
    port: readWholeNumber(port.variable, port.default, { expected: 'a TCP port number', max: 65535 }, env),
    host: env.HOST ?? '127.0.0.1',
  };
}

const milliseconds = { expected: 'milliseconds, at least 100', min: 100 };

function readPoolLimits(env: NodeJS.ProcessEnv): PoolLimits {
  const d = DEFAULT_POOL_LIMITS;
  return {
    max: readWholeNumber('DATABASE_POOL_SIZE', d.max, { expected: 'connections, 2 to 1000', min: 2, max: 1000 }, env),
    acquireTimeoutMs: readWholeNumber('DATABASE_ACQUIRE_TIMEOUT_MS', d.acquireTimeoutMs, milliseconds, env),
    lockTimeoutMs: readWholeNumber('DATABASE_LOCK_TIMEOUT_MS', d.lockTimeoutMs, milliseconds, env),
    statementTimeoutMs: readWholeNumber('DATABASE_STATEMENT_TIMEOUT_MS', d.statementTimeoutMs, milliseconds, env),
    idleInTransactionTimeoutMs: readWholeNumber('DATABASE_IDLE_IN_TRANSACTION_TIMEOUT_MS', d.idleInTransactionTimeoutMs, milliseconds, env),
  };
}

export function requireDatabaseUrl(config: ServiceConfig): string {
  if (!config.databaseUrl) {
    throw new Error(`${config.service} keeps data in PostgreSQL: set DATABASE_URL (or start Awan with "npm start", which runs one)`);
  }
  return config.databaseUrl;
}
