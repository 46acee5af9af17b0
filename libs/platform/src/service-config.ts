import { readFileSync } from 'node:fs';
import { userClaimsOf } from '#libs/nats-auth';

/** What every service process reads from its environment (README, Configuration). */
export interface ServiceConfig {
  service: string;
  natsUrl: string;
  /** What it authenticates to NATS with (a `.creds` text), where NATS_CREDENTIALS names some: none on an open NATS. */
  natsCredentials?: string;
  /** The HTTP port of its health check (and, for the gateway, of the API). */
  port: number;
  host: string;
  /** Whether it measures itself and serves `GET /metrics` on that port (METRICS=on|off). */
  metrics: boolean;
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

/**
 * NATS credentials from the environment: the variable holds a `.creds` file's path, or its text
 * itself (for a container's secret in an environment variable). Unset: undefined. A file that cannot
 * be read, or holds no credentials, stops the process with the variable named.
 */
export function readNatsCredentials(variable: string, env: NodeJS.ProcessEnv = process.env): string | undefined {
  const value = env[variable];
  if (value === undefined || value === '') return undefined;
  let credentials = value;
  if (!value.includes('-----BEGIN')) {
    try {
      credentials = readFileSync(value, 'utf8');
    } catch (error) {
      throw new Error(`${variable} must be a NATS credentials file or its text: cannot read ${value} (${(error as NodeJS.ErrnoException).code})`);
    }
  }
  try {
    userClaimsOf(credentials);
  } catch (error) {
    throw new Error(`${variable}: ${(error as Error).message}`);
  }
  return credentials;
}

/** The gateway's API port is GATEWAY_PORT; every other service's health port is PORT. */
export function readServiceConfig(
  service: string,
  port: { variable: 'PORT' | 'GATEWAY_PORT'; default: number },
  env = process.env,
): ServiceConfig {
  return {
    service,
    natsUrl: env.NATS_URL ?? 'nats://127.0.0.1:4222',
    ...(env.NATS_CREDENTIALS ? { natsCredentials: readNatsCredentials('NATS_CREDENTIALS', env) } : {}),
    port: readWholeNumber(port.variable, port.default, { expected: 'a TCP port number', max: 65535 }, env),
    host: env.HOST ?? '127.0.0.1',
    metrics: readOnOff('METRICS', true, env),
  };
}

/** `on` or `off` from the environment, `fallback` when unset; anything else stops the process, naming the variable. */
export function readOnOff(variable: string, fallback: boolean, env: NodeJS.ProcessEnv = process.env): boolean {
  const value = env[variable];
  if (value === undefined || value === '') return fallback;
  if (value !== 'on' && value !== 'off') throw new Error(`${variable} must be on or off, got "${value}"`);
  return value === 'on';
}
