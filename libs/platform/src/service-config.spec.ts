import { mkdtempSync, writeFileSync } from 'node:fs';
import os from 'node:os';
import path from 'node:path';
import { accountSignerOf, createNatsAuthority, hostPermissions, issueUserCredentials } from '#libs/nats-auth';
import { readNatsCredentials, readServiceConfig, readTracingConfig, readWholeNumber } from './service-config.js';

describe('service configuration from the environment', () => {
  it('uses the defaults of a local machine', () => {
    expect(readServiceConfig('compute', { variable: 'PORT', default: 4001 }, {})).toEqual({
      service: 'compute',
      natsUrl: 'nats://127.0.0.1:4222',
      natsStreamReplicas: 1,
      port: 4001,
      host: '127.0.0.1',
      // JSON where stdout is no terminal (a test's): logging.spec.ts has the rest.
      log: { format: process.stdout.isTTY ? 'pretty' : 'json', level: 'info', colors: expect.any(Boolean) },
      metrics: true,
    });
  });

  it('measures unless METRICS is off, and names the variable for anything but on or off', () => {
    expect(readServiceConfig('compute', { variable: 'PORT', default: 4001 }, { METRICS: 'off' }).metrics).toBe(false);
    expect(readServiceConfig('compute', { variable: 'PORT', default: 4001 }, { METRICS: 'on' }).metrics).toBe(true);
    expect(() => readServiceConfig('compute', { variable: 'PORT', default: 4001 }, { METRICS: 'false' })).toThrow('METRICS must be on or off, got "false"');
  });

  it('takes a METRICS_TOKEN long enough not to be guessed, and names the variable otherwise', () => {
    const token = 'f'.repeat(64);
    expect(readServiceConfig('compute', { variable: 'PORT', default: 4001 }, { METRICS_TOKEN: token }).metricsToken).toBe(token);
    expect(readServiceConfig('compute', { variable: 'PORT', default: 4001 }, {}).metricsToken).toBeUndefined();
    expect(readServiceConfig('compute', { variable: 'PORT', default: 4001 }, { METRICS_TOKEN: '' }).metricsToken).toBeUndefined(); // an env file's empty line
    for (const bad of ['short', `${'f'.repeat(30)} ${'f'.repeat(30)}`]) {
      expect(() => readServiceConfig('compute', { variable: 'PORT', default: 4001 }, { METRICS_TOKEN: bad })).toThrow('METRICS_TOKEN must be 24 to 256 printable characters');
    }
  });

  it("reads a cluster's servers and the streams' replicas", () => {
    const config = readServiceConfig('compute', { variable: 'PORT', default: 4001 }, { NATS_URL: 'nats://a:4222, nats://b:4222,c:4222', NATS_STREAM_REPLICAS: '3' });
    expect(config.natsUrl).toBe('nats://a:4222,nats://b:4222,c:4222');
    expect(config.natsStreamReplicas).toBe(3);
    expect(() => readServiceConfig('compute', { variable: 'PORT', default: 4001 }, { NATS_URL: 'nats://a:4222,,b:4222' })).toThrow(/^NATS_URL must be .* got "" in/);
    expect(() => readServiceConfig('compute', { variable: 'PORT', default: 4001 }, { NATS_STREAM_REPLICAS: '0' })).toThrow('NATS_STREAM_REPLICAS must be a number of replicas, 1 to 5, got "0"');
    expect(() => readServiceConfig('compute', { variable: 'PORT', default: 4001 }, { NATS_STREAM_REPLICAS: '7' })).toThrow(/^NATS_STREAM_REPLICAS must be/);
  });

  it('takes the gateway port from GATEWAY_PORT', () => {
    expect(readServiceConfig('gateway', { variable: 'GATEWAY_PORT', default: 4000 }, { GATEWAY_PORT: '8080' }).port).toBe(8080);
  });

  it.each(['80a', '-1', '70000', ''])('names the variable when the port is %j', (value) => {
    expect(() => readServiceConfig('compute', { variable: 'PORT', default: 4001 }, { PORT: value })).toThrow(/^PORT must be a TCP port number/);
  });

  it('reads a whole number with its bounds, naming the variable and the rule', () => {
    const rule = { expected: 'at least 1000 milliseconds', min: 1000 };
    expect(readWholeNumber('HOST_DOWN_TIMEOUT_MS', 30_000, rule, {})).toBe(30_000);
    expect(readWholeNumber('HOST_DOWN_TIMEOUT_MS', 30_000, rule, { HOST_DOWN_TIMEOUT_MS: '2000' })).toBe(2000);
    expect(() => readWholeNumber('HOST_DOWN_TIMEOUT_MS', 30_000, rule, { HOST_DOWN_TIMEOUT_MS: '999' })).toThrow(
      'HOST_DOWN_TIMEOUT_MS must be at least 1000 milliseconds, got "999"',
    );
    expect(() => readWholeNumber('QUOTA_VCPUS', 40, { expected: 'a whole number' }, { QUOTA_VCPUS: '4.5' })).toThrow(/^QUOTA_VCPUS must be a whole number/);
  });

  describe('NATS credentials', () => {
    let credentials: string;
    let file: string;
    beforeAll(async () => {
      credentials = (await issueUserCredentials(accountSignerOf(await createNatsAuthority()), 'host-h1', hostPermissions('h1'))).credentials;
      file = path.join(mkdtempSync(path.join(os.tmpdir(), 'awan-creds-')), 'h1.creds');
      writeFileSync(file, credentials, { mode: 0o600 });
    });

    it("reads NATS_CREDENTIALS as a file's path or as the text itself, once, into the config", () => {
      expect(readServiceConfig('host-agent', { variable: 'PORT', default: 4004 }, { NATS_CREDENTIALS: file }).natsCredentials).toBe(credentials);
      expect(readNatsCredentials('NATS_CREDENTIALS', { NATS_CREDENTIALS: credentials })).toBe(credentials);
      expect(readServiceConfig('compute', { variable: 'PORT', default: 4001 }, {}).natsCredentials).toBeUndefined();
    });

    it('names the variable when the file is missing or holds no credentials', () => {
      expect(() => readNatsCredentials('NATS_CREDENTIALS', { NATS_CREDENTIALS: '/nonexistent/h1.creds' })).toThrow(
        'NATS_CREDENTIALS must be a NATS credentials file or its text: cannot read /nonexistent/h1.creds (ENOENT)',
      );
      const notCreds = path.join(path.dirname(file), 'not.creds');
      writeFileSync(notCreds, 'nats://127.0.0.1:4222\n');
      expect(() => readNatsCredentials('AGENT_X', { AGENT_X: notCreds })).toThrow('AGENT_X: not NATS credentials');
    });
  });

  describe('tracing, from OpenTelemetry\'s standard variables', () => {
    it('is off, and absent from the config, without an OTLP endpoint or with the SDK disabled', () => {
      expect(readServiceConfig('compute', { variable: 'PORT', default: 4001 }, {}).tracing).toBeUndefined();
      expect(readTracingConfig({ OTEL_EXPORTER_OTLP_ENDPOINT: 'http://collector:4318', OTEL_SDK_DISABLED: 'true' })).toBeUndefined();
    });

    it('sends to the endpoint\'s v1/traces, or to the traces endpoint as given, with the SDK\'s defaults', () => {
      expect(readServiceConfig('compute', { variable: 'PORT', default: 4001 }, { OTEL_EXPORTER_OTLP_ENDPOINT: 'http://collector:4318/' }).tracing).toEqual({
        url: 'http://collector:4318/v1/traces',
        sampler: { ratio: 1, parentBased: true },
        batch: { scheduledDelayMs: 5000, exportTimeoutMs: 30_000, maxQueueSize: 2048, maxExportBatchSize: 512 },
      });
      expect(readTracingConfig({ OTEL_EXPORTER_OTLP_ENDPOINT: 'http://a:4318', OTEL_EXPORTER_OTLP_TRACES_ENDPOINT: 'https://b/otlp/traces' })?.url).toBe('https://b/otlp/traces');
    });

    it('takes the sampler and the batch settings', () => {
      const config = readTracingConfig({
        OTEL_EXPORTER_OTLP_ENDPOINT: 'http://collector:4318', OTEL_TRACES_SAMPLER: 'parentbased_traceidratio', OTEL_TRACES_SAMPLER_ARG: '0.25',
        OTEL_BSP_SCHEDULE_DELAY: '100', OTEL_BSP_MAX_QUEUE_SIZE: '100', OTEL_BSP_MAX_EXPORT_BATCH_SIZE: '50', OTEL_EXPORTER_OTLP_PROTOCOL: 'http/json',
      });
      expect(config?.sampler).toEqual({ ratio: 0.25, parentBased: true });
      expect(config?.batch).toEqual({ scheduledDelayMs: 100, exportTimeoutMs: 30_000, maxQueueSize: 100, maxExportBatchSize: 50 });
      expect(readTracingConfig({ OTEL_EXPORTER_OTLP_ENDPOINT: 'http://c:4318', OTEL_TRACES_SAMPLER: 'always_off' })?.sampler).toEqual({ ratio: 0, parentBased: false });
    });

    it.each([
      [{ OTEL_EXPORTER_OTLP_ENDPOINT: 'collector:4318' }, 'OTEL_EXPORTER_OTLP_ENDPOINT must be an http(s) URL, got "collector:4318"'],
      [{ OTEL_EXPORTER_OTLP_TRACES_ENDPOINT: 'grpc://c:4317' }, 'OTEL_EXPORTER_OTLP_TRACES_ENDPOINT must be an http(s) URL'],
      [{ OTEL_EXPORTER_OTLP_PROTOCOL: 'grpc' }, 'OTEL_EXPORTER_OTLP_PROTOCOL must be http/json (Awan sends OTLP over HTTP as JSON), got "grpc"'],
      [{ OTEL_EXPORTER_OTLP_TRACES_PROTOCOL: 'http/protobuf' }, 'OTEL_EXPORTER_OTLP_TRACES_PROTOCOL must be http/json'],
      [{ OTEL_TRACES_SAMPLER: 'sometimes' }, 'OTEL_TRACES_SAMPLER must be one of always_on, always_off, traceidratio, parentbased_always_on'],
      [{ OTEL_TRACES_SAMPLER_ARG: '1.5' }, 'OTEL_TRACES_SAMPLER_ARG must be a share of traces from 0 to 1, got "1.5"'],
      [{ OTEL_BSP_SCHEDULE_DELAY: '5s' }, 'OTEL_BSP_SCHEDULE_DELAY must be milliseconds, at least 1, got "5s"'],
      [{ OTEL_BSP_MAX_EXPORT_BATCH_SIZE: '4096' }, 'OTEL_BSP_MAX_EXPORT_BATCH_SIZE must be spans, from 1 to OTEL_BSP_MAX_QUEUE_SIZE (2048), got "4096"'],
    ])('names the variable at fault: %j', (env, message) => {
      const base = 'OTEL_EXPORTER_OTLP_ENDPOINT' in env || 'OTEL_EXPORTER_OTLP_TRACES_ENDPOINT' in env ? {} : { OTEL_EXPORTER_OTLP_ENDPOINT: 'http://collector:4318' };
      expect(() => readTracingConfig({ ...base, ...env })).toThrow(message);
    });
  });
});
