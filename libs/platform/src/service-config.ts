/** What every service process reads from its environment (README, Configuration). */
export interface ServiceConfig {
  service: string;
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
    natsUrl: env.NATS_URL ?? 'nats://127.0.0.1:4222',
    port: readWholeNumber(port.variable, port.default, { expected: 'a TCP port number', max: 65535 }, env),
    host: env.HOST ?? '127.0.0.1',
  };
}
