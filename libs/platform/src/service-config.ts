/** What every service process reads from its environment (ARCHITECTURE.md, Running it). */
export interface ServiceConfig {
  service: string;
  /** PostgreSQL; the service keeps its data in its own schema there. */
  databaseUrl: string | undefined;
  natsUrl: string;
  /** The HTTP port of its health check (and, for the gateway, of the API). */
  port: number;
  host: string;
}

/** The gateway's API port is GATEWAY_PORT; every other service's health port is PORT. */
export function readServiceConfig(
  service: string,
  port: { variable: 'PORT' | 'GATEWAY_PORT'; default: number },
  env = process.env,
): ServiceConfig {
  const value = env[port.variable] ?? String(port.default);
  const number = Number(value);
  if (!/^\d+$/.test(value) || number > 65535) {
    throw new Error(`${port.variable} must be a TCP port number, got "${value}"`);
  }
  return {
    service,
    databaseUrl: env.DATABASE_URL,
    natsUrl: env.NATS_URL ?? 'nats://127.0.0.1:4222',
    port: number,
    host: env.HOST ?? '127.0.0.1',
  };
}

export function requireDatabaseUrl(config: ServiceConfig): string {
  if (!config.databaseUrl) {
    throw new Error(`${config.service} keeps data in PostgreSQL: set DATABASE_URL (or start Awan with "npm start", which runs one)`);
  }
  return config.databaseUrl;
}
