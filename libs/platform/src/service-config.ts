import { readFileSync } from 'node:fs';
import { userClaimsOf } from '#libs/nats-auth';
import { readLogConfig, type LogConfig } from './logging.js';
import type { TracingConfig } from '#libs/tracing';

/** What every service process reads from its environment (README, Configuration). */
export interface ServiceConfig {
  service: string;
  /** NATS_URL: one server, or a cluster's servers comma-separated. */
  natsUrl: string;
  /** NATS_STREAM_REPLICAS: the replicas of every JetStream stream and durable consumer the service makes (3 on a cluster), reconciled at start. */
  natsStreamReplicas: number;
  /** What it authenticates to NATS with (a `.creds` text), where NATS_CREDENTIALS names some: none on an open NATS. */
  natsCredentials?: string;
  /** The HTTP port of its health check (and, for the gateway, of the API). */
  port: number;
  host: string;
  /** How it logs: LOG_FORMAT and LOG_LEVEL. */
  log: LogConfig;
  /** Where it sends its traces, where OTEL_EXPORTER_OTLP_ENDPOINT says: without, it traces nothing. */
  tracing?: TracingConfig;
  /** Whether it measures itself and serves `GET /metrics` on that port (METRICS=on|off). */
  metrics: boolean;
  /** METRICS_TOKEN: where set (and not empty), `GET /metrics` answers only `Authorization: Bearer <it>` (the gateway's port is public). */
  metricsToken?: string;
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

const SAMPLERS: Record<string, (ratio: number) => TracingConfig['sampler']> = {
  always_on: () => ({ ratio: 1, parentBased: false }),
  always_off: () => ({ ratio: 0, parentBased: false }),
  traceidratio: (ratio) => ({ ratio, parentBased: false }),
  parentbased_always_on: () => ({ ratio: 1, parentBased: true }),
  parentbased_always_off: () => ({ ratio: 0, parentBased: true }),
  parentbased_traceidratio: (ratio) => ({ ratio, parentBased: true }),
};

/**
 * Tracing from OpenTelemetry's standard variables: on where OTEL_EXPORTER_OTLP_TRACES_ENDPOINT or
 * OTEL_EXPORTER_OTLP_ENDPOINT names a collector (and OTEL_SDK_DISABLED is not true), undefined
 * otherwise. Spans leave as OTLP/HTTP JSON, the one protocol Awan sends. A bad value stops the
 * process with the variable named.
 */
export function readTracingConfig(env: NodeJS.ProcessEnv = process.env): TracingConfig | undefined {
  const traces = env.OTEL_EXPORTER_OTLP_TRACES_ENDPOINT || undefined;
  const endpoint = env.OTEL_EXPORTER_OTLP_ENDPOINT || undefined;
  if (env.OTEL_SDK_DISABLED === 'true' || (!traces && !endpoint)) return undefined;
  const variable = traces ? 'OTEL_EXPORTER_OTLP_TRACES_ENDPOINT' : 'OTEL_EXPORTER_OTLP_ENDPOINT';
  // The signal's own endpoint is used as given; the general one is a base the traces' path goes under.
  const url = traces ?? `${endpoint!.replace(/\/+$/, '')}/v1/traces`;
  if (!URL.canParse(url) || !/^https?:$/.test(new URL(url).protocol)) throw new Error(`${variable} must be an http(s) URL, got "${traces ?? endpoint}"`);
  for (const name of ['OTEL_EXPORTER_OTLP_TRACES_PROTOCOL', 'OTEL_EXPORTER_OTLP_PROTOCOL']) {
    const protocol = env[name];
    if (protocol && protocol !== 'http/json') throw new Error(`${name} must be http/json (Awan sends OTLP over HTTP as JSON), got "${protocol}"`);
  }
  const samplerName = env.OTEL_TRACES_SAMPLER || 'parentbased_always_on';
  const sampler = SAMPLERS[samplerName];
  if (!sampler) throw new Error(`OTEL_TRACES_SAMPLER must be one of ${Object.keys(SAMPLERS).join(', ')}, got "${samplerName}"`);
  const ratioText = env.OTEL_TRACES_SAMPLER_ARG || '1';
  const ratio = Number(ratioText);
  if (!/^(0|1|0?\.\d+|1\.0*)$/.test(ratioText) || ratio > 1) throw new Error(`OTEL_TRACES_SAMPLER_ARG must be a share of traces from 0 to 1, got "${ratioText}"`);
  const maxQueueSize = readWholeNumber('OTEL_BSP_MAX_QUEUE_SIZE', 2048, { expected: 'spans, at least 1', min: 1 }, env);
  return {
    url,
    sampler: sampler(ratio),
    batch: {
      scheduledDelayMs: readWholeNumber('OTEL_BSP_SCHEDULE_DELAY', 5000, { expected: 'milliseconds, at least 1', min: 1 }, env),
      exportTimeoutMs: readWholeNumber('OTEL_BSP_EXPORT_TIMEOUT', 30_000, { expected: 'milliseconds, at least 1', min: 1 }, env),
      maxQueueSize,
      maxExportBatchSize: readWholeNumber('OTEL_BSP_MAX_EXPORT_BATCH_SIZE', 512, { expected: `spans, from 1 to OTEL_BSP_MAX_QUEUE_SIZE (${maxQueueSize})`, min: 1, max: maxQueueSize }, env),
    },
  };
}

/** The gateway's API port is GATEWAY_PORT; every other service's health port is PORT. */
export function readServiceConfig(
  service: string,
  port: { variable: 'PORT' | 'GATEWAY_PORT'; default: number },
  env = process.env,
): ServiceConfig {
  const tracing = readTracingConfig(env);
  return {
    service,
    natsUrl: readNatsUrl(env),
    // JetStream replicates a stream on at most five servers.
    natsStreamReplicas: readWholeNumber('NATS_STREAM_REPLICAS', 1, { expected: 'a number of replicas, 1 to 5', min: 1, max: 5 }, env),
    ...(env.NATS_CREDENTIALS ? { natsCredentials: readNatsCredentials('NATS_CREDENTIALS', env) } : {}),
    port: readWholeNumber(port.variable, port.default, { expected: 'a TCP port number', max: 65535 }, env),
    host: env.HOST ?? '127.0.0.1',
    log: readLogConfig(env),
    ...(tracing ? { tracing } : {}),
    metrics: readOnOff('METRICS', true, env),
    ...(env.METRICS_TOKEN ? { metricsToken: readMetricsToken(env.METRICS_TOKEN) } : {}),
  };
}

/** A bearer token Prometheus sends: printable, with no spaces, long enough not to be guessed. */
function readMetricsToken(value: string): string {
  if (!/^[\x21-\x7e]{24,256}$/.test(value)) throw new Error('METRICS_TOKEN must be 24 to 256 printable characters without spaces (openssl rand -hex 32 makes one)');
  return value;
}

/** NATS_URL, one server or several comma-separated (a cluster's): each a nats:// URL or host:port. */
function readNatsUrl(env: NodeJS.ProcessEnv): string {
  const value = env.NATS_URL ?? 'nats://127.0.0.1:4222';
  const servers = value.split(',').map((server) => server.trim());
  const bad = servers.find((server) => !/^((nats|tls):\/\/)?([^\s/@]+@)?[^\s/:,@]+(:\d{1,5})?\/?$/.test(server));
  if (bad !== undefined) throw new Error(`NATS_URL must be a NATS server's URL, or several comma-separated, got "${bad}" in "${value}"`);
  return servers.join(',');
}

/** `on` or `off` from the environment, `fallback` when unset; anything else stops the process, naming the variable. */
export function readOnOff(variable: string, fallback: boolean, env: NodeJS.ProcessEnv = process.env): boolean {
  const value = env[variable];
  if (value === undefined || value === '') return fallback;
  if (value !== 'on' && value !== 'off') throw new Error(`${variable} must be on or off, got "${value}"`);
  return value === 'on';
}
