// The GraphQL API's own cost: requests/s and latency (p50, p99) at 50 concurrent keep-alive
// connections for two queries a customer makes, through the built gateway, beside a bare Apollo
// Server answering a constant in the same run, and the ratios between them:
//   me         `{ me { id name } }`: the gateway's API key check and its own identity tables
//   instances  `{ instances(first: 20) { edges { node { id name status } } } }`: gateway → NATS →
//              compute, over 20 RUNNING containers made through the API on a real host agent
//   bareApollo `{ hello }` → "world": @apollo/server's standalone server, in a process of its own
// Each case: 3 s of warm-up, then 10 s measured; a reply that is not 200, or has errors, is a failure.
// The gateway's cases run under each of CONFIGURATIONS (the control plane restarted with its
// environment: metrics off, metrics on, and metrics and tracing on, every trace or one in ten, its
// spans exported as OTLP/HTTP JSON to a sink process of the run's own that reads and discards them),
// in BENCH_ROUNDS rounds (4) whose order alternates; each
// configuration's figures are the medians of its rounds, and its cost the share of the baseline's
// throughput it loses (the median of the rounds' own ratios); beside it, the CPU time the four
// services spent per request (/proc's utime + stime over the measured seconds), which the other
// work of a shared machine disturbs far less than throughput, and how much more that is, and apart
// the CPU time their database's PostgreSQL sessions spent per request.
// Everything runs on its own: a nats-server on a free port, a fresh database (dropped at the end),
// the five built services, LXC containers on a bridge of its own. Prints JSON.
// Needs PostgreSQL (DATABASE_URL as for the tests) and nats-server on PATH; the instances case
// needs root and LXC and is skipped, with the reason, without them.
// `-- cluster`: in place of the configurations, `me` and `instances` on Awan as `npm start` runs it
// on a single node and as a cluster (AWAN_CLUSTER=1: three NATS nodes, two replicas of each service,
// streams on three), in BENCH_ROUNDS rounds whose order alternates, each started afresh with 20
// containers on a simulated host (no LXC needed), the cluster's connections spread over its two
// gateways; prints each one's requests/s, p50, p99 and CPU per request (all its processes, NATS
// included), and the ratios cluster/single node (aim: requests/s at least 0.7).
// BENCH_CONFIGURATIONS (names, comma-separated, e.g. `metrics on`) measures only those; without
// the baseline among them, no cost against it is printed.
// BENCH_CPU_PROF=<dir>: the four services are CPU-profiled over each measured run (not the start,
// not the warm-up), one <case>-<configuration>-<round>.<service>.<pid>.cpuprofile each in <dir>
// (bench/common/cpu-profile.preload.mjs); the profiler slows them, so such a run's figures are not
// comparable with a run without it. bench/common/cpu-profile-summary.ts says where the time went.
// Usage: npm run bench:gateway [-- cluster]
import { spawnSync } from 'node:child_process';
import { randomBytes } from 'node:crypto';
import { mkdirSync, mkdtempSync, readdirSync, rmSync, writeFileSync } from 'node:fs';
import http from 'node:http';
import type { AddressInfo } from 'node:net';
import os from 'node:os';
import path from 'node:path';
import { performance } from 'node:perf_hooks';
import { fileURLToPath } from 'node:url';
import { ApolloServer } from '@apollo/server';
import { startStandaloneServer } from '@apollo/server/standalone';
import { NestFactory } from '@nestjs/core';
import pg from 'pg';
import { MessagingModule, ServiceClient } from '#libs/messaging';
import { createServiceDatabase, runBuilt, runFixture, uniqueName, waitFor, type Fixture } from '#libs/testing';
import { freePort, startNatsServer } from '../../scripts/embedded-servers.js';
import { awanCpuMs, BASELINE_TOPOLOGY, loadAverage, median, startTopology, TOPOLOGIES, topologiesOfRound, type Topology } from '../common/topologies.js';
import { runProgram } from '../../apps/host-agent/src/host/program.js';
import { ready, stop } from '../common/fixtures.js';
import { cpuMsOf, databaseSessionsCpu } from '../common/processes.js';

const CONCURRENCY = 50;
const WARMUP_MS = 3000;
const MEASURE_MS = 10_000;
const INSTANCES = 20;
const ME = '{ me { id name } }';
const INSTANCES_PAGE = `{ instances(first: ${INSTANCES}) { edges { node { id name status } } } }`;
/**
 * The control plane's settings compared: each is the environment its four services (gateway,
 * compute, network, billing) start with, and the cost of each is its throughput against BASELINE's
 * (neither metrics nor tracing). Tracing sends to `otlpSink`, this run's OTLP endpoint.
 */
const configurations = (otlpSink: string): { name: string; env: NodeJS.ProcessEnv }[] => [
  { name: 'metrics on', env: { METRICS: 'on' } },
  { name: 'metrics off', env: { METRICS: 'off' } },
  { name: 'metrics and tracing on', env: { METRICS: 'on', OTEL_EXPORTER_OTLP_ENDPOINT: otlpSink } },
  // As production would trace: one trace in ten recorded, the decision carried with the others.
  {
    name: 'metrics and tracing 1 in 10',
    env: { METRICS: 'on', OTEL_EXPORTER_OTLP_ENDPOINT: otlpSink, OTEL_TRACES_SAMPLER: 'parentbased_traceidratio', OTEL_TRACES_SAMPLER_ARG: '0.1' },
  },
];
const BASELINE = 'metrics off';
const ROUNDS = Number(process.env.BENCH_ROUNDS ?? 4);
/** The configurations BENCH_CONFIGURATIONS names (all without it). */
function chosen<T extends { name: string }>(all: T[]): T[] {
  const names = process.env.BENCH_CONFIGURATIONS?.split(',').map((name) => name.trim()).filter(Boolean);
  if (!names?.length) return all;
  const unknown = names.filter((name) => !all.some((c) => c.name === name));
  if (unknown.length) throw new Error(`BENCH_CONFIGURATIONS: no configuration ${unknown.join(', ')} (there are: ${all.map((c) => c.name).join(', ')})`);
  return all.filter((c) => names.includes(c.name));
}
/** Where the services' CPU profiles go (BENCH_CPU_PROF), if they are profiled. */
const CPU_PROF_DIR = process.env.BENCH_CPU_PROF ? path.resolve(process.env.BENCH_CPU_PROF) : undefined;
const CPU_PROF_PRELOAD = fileURLToPath(new URL('../common/cpu-profile.preload.mjs', import.meta.url));
/** Set in the child process that serves the bare Apollo Server: this same file. */
const BARE_APOLLO_ROLE = 'BENCH_GATEWAY_BARE_APOLLO';
/** Set in the child process that takes the services' spans and discards them: this same file. */
const OTLP_SINK_ROLE = 'BENCH_GATEWAY_OTLP_SINK';

interface Target {
  /** The loops go to these in turn (the gateways of a cluster, as a load balancer would spread them). */
  urls: string[];
  query: string;
  apiKey?: string;
}

interface CaseResult {
  requests: number;
  failures: number;
  firstFailure?: string;
  seconds: number;
  requestsPerSecond: number;
  p50Ms: number;
  p99Ms: number;
  /** The CPU time the measured processes spent per request, where measure was asked for it. */
  cpuMsPerRequest?: number;
  /** And their database's PostgreSQL sessions, on the same cores. */
  databaseCpuMsPerRequest?: number;
}

const round = (n: number, places = 0) => Math.round(n * 10 ** places) / 10 ** places;
const log = (line: string) => console.error(`bench/gateway: ${line}`);

// ---- the load generator ----

function post(agent: http.Agent, target: Target, url: string, body: string): Promise<{ status: number; text: string }> {
  const headers: http.OutgoingHttpHeaders = { 'content-type': 'application/json', 'content-length': Buffer.byteLength(body) };
  if (target.apiKey) headers.authorization = `Bearer ${target.apiKey}`;
  return new Promise((resolve, reject) => {
    const request = http.request(url, { method: 'POST', agent, headers }, (response) => {
      let text = '';
      response.setEncoding('utf8');
      response.on('data', (chunk: string) => (text += chunk));
      response.on('end', () => resolve({ status: response.statusCode ?? 0, text }));
      response.on('error', reject);
    });
    request.on('error', reject);
    request.end(body);
  });
}

/** Why a reply is a failure (not 200, or errors in the body), or undefined for a good one. */
function failureOf(reply: { status: number; text: string }): string | undefined {
  let errors: unknown;
  try {
    errors = (JSON.parse(reply.text) as { errors?: unknown }).errors;
  } catch {
    return `${reply.status} ${reply.text.slice(0, 300)}`;
  }
  return reply.status === 200 && errors === undefined ? undefined : `${reply.status} ${reply.text.slice(0, 300)}`;
}

/** CONCURRENCY loops sending the query back to back for `durationMs`; every request's latency. */
async function drive(agent: http.Agent, target: Target, durationMs: number) {
  const body = JSON.stringify({ query: target.query });
  const latencies: number[] = [];
  let failures = 0;
  let firstFailure: string | undefined;
  const started = performance.now();
  const end = started + durationMs;
  await Promise.all(Array.from({ length: CONCURRENCY }, async (_, loop) => {
    const url = target.urls[loop % target.urls.length];
    while (performance.now() < end) {
      const sent = performance.now();
      const failure = await post(agent, target, url, body).then(failureOf, (error: Error) => `no reply: ${error.message}`);
      latencies.push(performance.now() - sent);
      if (failure !== undefined) {
        failures++;
        firstFailure ??= failure;
      }
    }
  }));
  return { latencies, failures, firstFailure, seconds: (performance.now() - started) / 1000 };
}

/** Warm-up, then the measured run, on the same keep-alive connections. */
async function measure(
  target: Target, cpuMs?: () => number, profile?: { label: string; pids: () => number[] },
  /** A session on the measured services' database: the CPU its other sessions spend is counted apart. */
  database?: pg.Client,
): Promise<CaseResult> {
  const agent = new http.Agent({ keepAlive: true, maxSockets: CONCURRENCY });
  // SIGWINCH starts the profiler of each service (cpu-profile.preload.mjs); the next stops it and writes the profile.
  const toggleProfilers = () => {
    if (!profile || !CPU_PROF_DIR) return;
    writeFileSync(path.join(CPU_PROF_DIR, 'label'), profile.label);
    for (const pid of profile.pids()) process.kill(pid, 'SIGWINCH');
  };
  try {
    await drive(agent, target, WARMUP_MS);
    const databaseCpuMs = database ? await databaseSessionsCpu(database) : undefined;
    const cpuBefore = cpuMs?.();
    toggleProfilers();
    const { latencies, failures, firstFailure, seconds } = await drive(agent, target, MEASURE_MS);
    toggleProfilers();
    const cpu = {
      ...(cpuBefore === undefined ? {} : { cpuMsPerRequest: round((cpuMs!() - cpuBefore) / latencies.length, 3) }),
      ...(databaseCpuMs ? { databaseCpuMsPerRequest: round((await databaseCpuMs()) / latencies.length, 3) } : {}),
    };
    const sorted = latencies.sort((a, b) => a - b);
    const at = (q: number) => round(sorted[Math.min(sorted.length - 1, Math.ceil(q * sorted.length) - 1)], 2);
    return {
      requests: latencies.length,
      failures,
      ...(firstFailure === undefined ? {} : { firstFailure }),
      seconds: round(seconds, 2),
      requestsPerSecond: round(latencies.length / seconds),
      p50Ms: at(0.5),
      p99Ms: at(0.99),
      ...cpu,
    };
  } finally {
    agent.destroy();
  }
}

// ---- the processes ----

/** The bare Apollo Server the gateway is compared with; its URL on stdout. */
async function serveBareApollo(): Promise<void> {
  const server = new ApolloServer({ typeDefs: 'type Query { hello: String! }', resolvers: { Query: { hello: () => 'world' } } });
  const { url } = await startStandaloneServer(server, { listen: { host: '127.0.0.1', port: 0 } });
  console.log(`listening at ${url}`);
}

/**
 * What a collector is to the services, minus keeping anything: POST /v1/traces is read whole and
 * answered 200; GET /exports says how many it took. Its URL on stdout.
 */
async function serveOtlpSink(): Promise<void> {
  let exports = 0;
  const server = http.createServer((request, response) => {
    request.resume();
    request.on('end', () => {
      if (request.method === 'POST' && request.url === '/v1/traces') exports++;
      response.writeHead(200, { 'content-type': 'application/json' }).end(request.method === 'GET' ? String(exports) : '{}');
    });
  });
  await new Promise<void>((resolve) => server.listen(0, '127.0.0.1', resolve));
  console.log(`listening at http://127.0.0.1:${(server.address() as AddressInfo).port}`);
}

/** Why this machine cannot run the instances case, or undefined when it can. */
function withoutContainers(): string | undefined {
  if (process.getuid?.() !== 0) return 'the host agent needs root';
  const lxc = spawnSync('lxc-start', ['--version']);
  if (lxc.error || lxc.status !== 0) return `lxc-start --version failed: ${lxc.error?.message ?? lxc.stderr}`;
  return undefined;
}

// ---- the API ----

async function graphql<T>(url: string, apiKey: string, query: string, variables?: Record<string, unknown>): Promise<T> {
  const response = await fetch(url, {
    method: 'POST',
    headers: { 'content-type': 'application/json', authorization: `Bearer ${apiKey}` },
    body: JSON.stringify({ query, variables }),
  });
  const text = await response.text();
  const body = (() => {
    try {
      return JSON.parse(text) as { data?: T; errors?: unknown };
    } catch {
      return {};
    }
  })();
  if (response.status !== 200 || body.errors !== undefined || !body.data) {
    throw new Error(`GraphQL ${query} ${JSON.stringify(variables ?? {})} answered ${response.status}: ${text}`);
  }
  return body.data;
}

type InstanceStatus = { id: string; status: string };

async function createInstances(url: string, apiKey: string): Promise<string[]> {
  const ids: string[] = [];
  for (let i = 0; i < INSTANCES; i++) {
    // Asked again on UNAVAILABLE, as a client should: a new account is known to billing a moment after it is made.
    const { createInstance } = await waitFor(() => graphql<{ createInstance: InstanceStatus }>(url, apiKey,
      'mutation ($input: CreateInstanceInput!) { createInstance(input: $input) { id status } }',
      { input: { name: `bench-${i}`, kind: 'CONTAINER', imageId: 'dev-busybox-rootfs', planId: 'ct-512m', regionId: 'local', billingCycle: 'HOURLY' } },
    ).catch((error: Error) => {
      if (/"code":"UNAVAILABLE"/.test(error.message)) return undefined;
      throw error;
    }), 60_000, `container bench-${i} to be created`);
    ids.push(createInstance.id);
  }
  return ids;
}

/** Polls the instances' statuses until every one is `status`; an ERROR fails at once. */
async function waitForStatus(url: string, apiKey: string, ids: string[], status: string, timeoutMs: number): Promise<void> {
  let last: InstanceStatus[] = [];
  await waitFor(async () => {
    last = await Promise.all(ids.map(async (id) =>
      (await graphql<{ instance: InstanceStatus }>(url, apiKey, 'query ($id: ID!) { instance(id: $id) { id status } }', { id })).instance));
    const failed = last.find((instance) => instance.status === 'ERROR');
    if (failed) throw new Error(`instance ${failed.id} went to ERROR while waiting for ${status}`);
    if (last.every((instance) => instance.status === status)) return true;
    await new Promise((resolve) => setTimeout(resolve, 1000));
    return false;
  }, timeoutMs, `${ids.length} instances to be ${status}`).catch((error: Error) => {
    throw new Error(`${error.message}; last seen: ${JSON.stringify(last)}`);
  });
}

// ---- the run ----

/** One configuration's round: the gateway's cases measured on a control plane started with its environment. */
interface Round {
  configuration: string;
  /** The machine's load averages when its cases had been measured. */
  load: string;
  me: CaseResult;
  instances?: CaseResult;
}

async function runBench(): Promise<void> {
  const tempDir = mkdtempSync(path.join(os.tmpdir(), 'awan-gw-'));
  const agentDataDir = path.join(tempDir, 'agent'); // short: QMP socket paths stay under 108 characters
  // A nats-server of our own, on a port the kernel picks: no queue group is shared with anything else.
  const nats = await startNatsServer(path.join(tempDir, 'nats'), () => undefined, null);
  const database = await createServiceDatabase('awan_bench_gw_');
  const sessions = new pg.Client({ connectionString: database.url });
  await sessions.connect();
  const adminKey = randomBytes(20).toString('hex');
  const gatewayPort = await freePort();
  const api = `http://127.0.0.1:${gatewayPort}/graphql`;
  const bridge = uniqueName('awbr'); // 14 characters, under Linux's 15
  const hostId = uniqueName('bench-');
  const skipInstances = withoutContainers();
  if (CPU_PROF_DIR) mkdirSync(CPU_PROF_DIR, { recursive: true });
  const profiling: Record<string, string> = CPU_PROF_DIR ? { NODE_OPTIONS: `${process.env.NODE_OPTIONS ?? ''} --import=${CPU_PROF_PRELOAD}`.trim(), BENCH_CPU_PROF_DIR: CPU_PROF_DIR } : {};
  const common = { DATABASE_URL: database.url, NATS_URL: nats.url, PORT: '0' };
  const services = new Map<string, Fixture>();
  const caller = await NestFactory.createApplicationContext(MessagingModule.forRoot({ service: 'gateway-bench', natsUrl: nats.url }), { logger: false });
  const client = caller.get(ServiceClient);
  let instanceIds: string[] = [];
  let customerKey = '';

  /** The gateway, compute, network and billing with `env` on top, once each answers. */
  async function startControlPlane(env: NodeJS.ProcessEnv): Promise<void> {
    for (const name of ['compute', 'network', 'billing']) services.set(name, runBuilt(`dist/apps/${name}/src/main.js`, { ...common, ...env, ...profiling }));
    services.set('gateway', runBuilt('dist/apps/gateway/src/main.js', {
      ...common, ...env, ...profiling, GATEWAY_PORT: String(gatewayPort), AWAN_ADMIN_API_KEY: adminKey, RATE_LIMIT_PER_SECOND: '1000000', RATE_LIMIT_BURST: '1000000',
    }));
    for (const [name, health] of [['compute', 'compute.health'], ['network', 'network.health'], ['billing', 'billing.health']] as const) {
      await ready(name, services.get(name)!, () => client.call(health, {}, 1000).then(() => true, () => false));
    }
    await ready('the gateway', services.get('gateway')!, async () =>
      (await fetch(`http://127.0.0.1:${gatewayPort}/health`).then((r) => r.status === 200, () => false)) &&
      graphql(api, adminKey, '{ me { id } }').then(() => true, () => false));
    // The switch took: metrics are served where they are on, and only there.
    const metrics = (await fetch(`http://127.0.0.1:${gatewayPort}/metrics`)).status;
    if (metrics !== (env.METRICS === 'off' ? 404 : 200)) throw new Error(`with METRICS=${env.METRICS} the gateway's /metrics answered ${metrics}`);
    // and spans reach the sink where tracing is on (the gateway's of these requests, within its batch delay; one sampled where only some are).
    if (env.OTEL_EXPORTER_OTLP_ENDPOINT) {
      const exported = () => fetch(`${env.OTEL_EXPORTER_OTLP_ENDPOINT}/exports`).then(async (r) => Number(await r.text()));
      const before = await exported();
      await waitFor(async () => (await graphql(api, adminKey, '{ me { id } }'), (await exported()) > before), 30_000, 'spans at the OTLP sink');
    }
  }

  /** CPU time the control plane's processes have used so far, in ms (user + system, from /proc/<pid>/stat). */
  const controlPlaneCpuMs = () => ['gateway', 'compute', 'network', 'billing'].reduce((sum, name) => sum + cpuMsOf(services.get(name)!.child.pid!)!, 0);

  async function stopControlPlane(): Promise<void> {
    await Promise.all(['gateway', 'compute', 'network', 'billing'].map((name) => services.get(name)).filter((f) => f !== undefined).map(stop));
    for (const name of ['gateway', 'compute', 'network', 'billing']) services.delete(name);
  }

  try {
    services.set('bare Apollo', runFixture(fileURLToPath(import.meta.url), { [BARE_APOLLO_ROLE]: '1' }));
    services.set('OTLP sink', runFixture(fileURLToPath(import.meta.url), { [OTLP_SINK_ROLE]: '1' }));
    const otlpSink = await waitFor(() => /listening at (\S+)/.exec(services.get('OTLP sink')!.output())?.[1], 30_000, 'the OTLP sink');
    const CONFIGURATIONS = chosen(configurations(otlpSink));
    await startControlPlane(CONFIGURATIONS[0].env);
    let running = CONFIGURATIONS[0].name;
    const bareUrl = await waitFor(() => /listening at (\S+)/.exec(services.get('bare Apollo')!.output())?.[1], 30_000, 'the bare Apollo Server');

    const { createAccount } = await graphql<{ createAccount: { account: { id: string }; apiKey: { secret: string } } }>(api, adminKey,
      'mutation { createAccount(input: { name: "bench", kind: CUSTOMER }) { account { id } apiKey { secret } } }');
    customerKey = createAccount.apiKey.secret;

    if (skipInstances) {
      log(`skipping the instances case: ${skipInstances}`);
    } else {
      // The seeded development pools (bridge awanbr0) make way for pools on a bridge of this run's own.
      for (const id of ['local-ipv4', 'local-ipv6']) await client.call('network.pool.retire', { id });
      await client.call('network.pool.create', { input: { id: 'bench-ipv4', regionId: 'local', prefix: '198.51.100.0/25', gateway: '198.51.100.1', bridge } });
      await client.call('network.pool.create', { input: { id: 'bench-ipv6', regionId: 'local', prefix: '2001:db8:9a7e::/64', gateway: '2001:db8:9a7e::1', bridge } });
      services.set('host agent', runBuilt('dist/apps/host-agent/src/main.js', { ...common, HOST_ID: hostId, REGION_ID: 'local', AGENT_DATA_DIR: agentDataDir }));
      await ready('the host agent to be UP', services.get('host agent')!, async () =>
        (await graphql<{ hosts: { id: string; status: string }[] }>(api, adminKey, '{ hosts { id status } }')).hosts
          .some((host) => host.id === hostId && host.status === 'UP'));
      await allowContainersOnAllCores(database.url, hostId);
      const creating = performance.now();
      instanceIds = await createInstances(api, customerKey);
      await waitForStatus(api, customerKey, instanceIds, 'RUNNING', 10 * 60_000);
      log(`${INSTANCES} containers RUNNING after ${round((performance.now() - creating) / 1000, 1)} s`);
      const page = await graphql<{ instances: { edges: unknown[] } }>(api, customerKey, INSTANCES_PAGE);
      if (page.instances.edges.length !== INSTANCES) throw new Error(`instances(first: ${INSTANCES}) returned ${page.instances.edges.length} instances`);
    }

    const bareApollo: CaseResult[] = [];
    const rounds: Round[] = [];
    for (let r = 0; r < ROUNDS; r++) {
      log(`round ${r + 1} of ${ROUNDS}`);
      bareApollo.push(await measure({ urls: [bareUrl], query: '{ hello }' }));
      // Every other round the other way round, so neither configuration always follows a fresh start.
      for (const configuration of r % 2 === 0 ? CONFIGURATIONS : [...CONFIGURATIONS].reverse()) {
        if (running !== configuration.name) {
          await stopControlPlane();
          await startControlPlane(configuration.env);
          running = configuration.name;
        }
        log(`measuring with ${configuration.name}`);
        const profileOf = (name: string) => ({
          label: `${name}-${configuration.name.replaceAll(' ', '-')}-${r + 1}`,
          pids: () => ['gateway', 'compute', 'network', 'billing'].map((service) => services.get(service)!.child.pid!),
        });
        const me = await measure({ urls: [api], query: ME, apiKey: customerKey }, controlPlaneCpuMs, profileOf('me'), sessions);
        const instances = skipInstances ? undefined : await measure({ urls: [api], query: INSTANCES_PAGE, apiKey: customerKey }, controlPlaneCpuMs, profileOf('instances'), sessions);
        rounds.push({ configuration: configuration.name, load: loadAverage(), me, ...(instances ? { instances } : {}) });
      }
    }

    /**
     * Each configuration's figures for a case: its rounds' requests/s and their median, its p99's
     * median, and its ratio to the baseline: the median of each round's own ratio, as the two ran
     * minutes apart at most, so a load the shared machine carried in one round weighs on both.
     */
    const summary = (pick: (round: Round) => CaseResult | undefined) => {
      const of = (name: string) => rounds.filter((r) => r.configuration === name).map(pick).filter((c): c is CaseResult => c !== undefined);
      const baseline = of(BASELINE);
      return Object.fromEntries(CONFIGURATIONS.map(({ name }) => {
        const ratio = median(of(name).map((c, i) => c.requestsPerSecond / baseline[i]?.requestsPerSecond));
        const cpuRatio = median(of(name).map((c, i) => c.cpuMsPerRequest! / baseline[i]?.cpuMsPerRequest!));
        // Without the baseline among BENCH_CONFIGURATIONS, nothing to set the cost against.
        const cost = baseline.length === 0 ? {} : { ratioToBaseline: round(ratio, 3), cost: `${round((1 - ratio) * 100, 1)} %` };
        return [name, {
          requestsPerSecond: round(median(of(name).map((c) => c.requestsPerSecond))),
          p99Ms: round(median(of(name).map((c) => c.p99Ms)), 2),
          rounds: of(name).map((c) => c.requestsPerSecond),
          ...cost,
          ratioToBareApollo: round(median(of(name).map((c, i) => c.requestsPerSecond / bareApollo[i].requestsPerSecond)), 3),
          cpuMsPerRequest: round(median(of(name).map((c) => c.cpuMsPerRequest!)), 3),
          databaseCpuMsPerRequest: round(median(of(name).map((c) => c.databaseCpuMsPerRequest!)), 3),
          ...(baseline.length === 0 ? {} : { cpuCost: `${round((cpuRatio - 1) * 100, 1)} %` }),
        }];
      }));
    };
    const failures = [...bareApollo, ...rounds.flatMap((r) => [r.me, ...(r.instances ? [r.instances] : [])])].reduce((sum, c) => sum + c.failures, 0);
    console.log(JSON.stringify({
      scope: `POST /graphql, HTTP/1.1 keep-alive, from this process; each configuration's figures are the medians of its ${ROUNDS} rounds, its cost the throughput it loses against "${BASELINE}" in the same round (the median of the rounds' ratios)`,
      concurrency: CONCURRENCY,
      warmupSeconds: WARMUP_MS / 1000,
      measuredSeconds: MEASURE_MS / 1000,
      baseline: BASELINE,
      bareApollo: { requestsPerSecond: round(median(bareApollo.map((c) => c.requestsPerSecond))), rounds: bareApollo.map((c) => c.requestsPerSecond) },
      me: summary((r) => r.me),
      instances: skipInstances ? { skipped: skipInstances } : summary((r) => r.instances),
      rounds,
      failures,
      ok: failures === 0,
      cores: os.cpus().length,
      node: process.version,
    }, null, 2));
    if (failures > 0) log(`${failures} requests failed: see firstFailure in each round's cases`);
  } finally {
    await deleteInstances(api, customerKey, instanceIds).catch((error: Error) => log(`deleting the instances: ${error.message}`));
    await deleteLeftovers(client, hostId, agentDataDir, services.get('host agent'));
    await Promise.all([...services.values()].map(stop));
    await caller.close();
    await sessions.end();
    await database.drop();
    if (!skipInstances) await runProgram('ip', ['link', 'delete', 'dev', bridge]).catch(() => undefined);
    await nats.stop();
    rmSync(tempDir, { recursive: true, force: true });
  }
}

/**
 * The scheduler promises at most 4 vCPUs per core (a ct-512m has 1): on a small machine this
 * run's host may promise enough for its containers. A setting of the run's own database.
 */
async function allowContainersOnAllCores(databaseUrl: string, hostId: string): Promise<void> {
  const db = new pg.Client({ connectionString: databaseUrl });
  await db.connect();
  try {
    await db.query('UPDATE compute.host_resources SET cpu_ratio = greatest(cpu_ratio, ceil($2::numeric / vcpus)) WHERE host_id = $1', [hostId, INSTANCES]);
  } finally {
    await db.end();
  }
}

async function deleteInstances(url: string, apiKey: string, ids: string[]): Promise<void> {
  if (ids.length === 0) return;
  for (const id of ids) await graphql(url, apiKey, 'mutation ($id: ID!) { deleteInstance(id: $id) { id status } }', { id });
  await waitForStatus(url, apiKey, ids, 'DELETED', 5 * 60_000);
}

/** Whatever the API did not delete goes through the agent itself: containers outlive it. */
async function deleteLeftovers(client: ServiceClient, hostId: string, agentDataDir: string, agent: Fixture | undefined): Promise<void> {
  if (!agent || agent.child.exitCode !== null || agent.child.signalCode !== null) return;
  const folders = (() => {
    try {
      return readdirSync(path.join(agentDataDir, 'instances'), { withFileTypes: true }).filter((entry) => entry.isDirectory());
    } catch {
      return [];
    }
  })();
  for (const folder of folders) {
    await client.callAgent(hostId, 'instance.delete', { instanceId: folder.name }, 60_000)
      .catch((error: Error) => log(`the agent did not delete ${folder.name}: ${error.message}`));
  }
}

// ---- -- cluster: the same cases on the single node and on the cluster ----

/** One topology's round: the cases measured on an Awan started for it, and the CPU its processes spent. */
interface TopologyRound {
  topology: Topology['name'];
  load: string;
  me: CaseResult;
  instances: CaseResult;
}

/**
 * `-- cluster`: `me` and `instances` on Awan as `npm start` runs it on one node and as a cluster
 * (bench/common/topologies.ts), each round starting each afresh (its own database, NATS, 20
 * containers on a simulated host), the cluster's load spread over its two gateways.
 */
async function runClusterBench(): Promise<void> {
  const rounds: TopologyRound[] = [];
  for (let r = 0; r < ROUNDS; r++) {
    for (const topology of topologiesOfRound(r)) {
      log(`round ${r + 1} of ${ROUNDS}: starting the ${topology.name}`);
      const awan = await startTopology(topology, 'bench_gw', { RATE_LIMIT_PER_SECOND: '1000000', RATE_LIMIT_BURST: '1000000' }, { localAgent: false });
      try {
        const { createAccount } = await graphql<{ createAccount: { apiKey: { secret: string } } }>(awan.url, awan.adminKey,
          'mutation { createAccount(input: { name: "bench", kind: CUSTOMER }) { apiKey { secret } } }');
        const key = createAccount.apiKey.secret;
        const ids = await createInstances(awan.url, key);
        await waitForStatus(awan.url, key, ids, 'RUNNING', 5 * 60_000);
        const cpuMs = awanCpuMs(awan);
        const load = loadAverage();
        log(`measuring the ${topology.name} (${awan.gateways.length} gateways; load ${load})`);
        const me = await measure({ urls: awan.gateways, query: ME, apiKey: key }, cpuMs);
        const instances = await measure({ urls: awan.gateways, query: INSTANCES_PAGE, apiKey: key }, cpuMs);
        rounds.push({ topology: topology.name, load, me, instances });
      } finally {
        await awan.stop();
      }
    }
  }
  const summary = (pick: (round: TopologyRound) => CaseResult) => {
    const of = (name: Topology['name']) => rounds.filter((r) => r.topology === name).map(pick);
    const baseline = of(BASELINE_TOPOLOGY);
    const figures = Object.fromEntries(TOPOLOGIES.map(({ name }) => [name, {
      requestsPerSecond: round(median(of(name).map((c) => c.requestsPerSecond))),
      p50Ms: round(median(of(name).map((c) => c.p50Ms)), 2),
      p99Ms: round(median(of(name).map((c) => c.p99Ms)), 2),
      rounds: of(name).map((c) => c.requestsPerSecond),
      cpuMsPerRequest: round(median(of(name).map((c) => c.cpuMsPerRequest!)), 3),
    }]));
    const cluster = of('cluster');
    return {
      ...figures,
      // Each round's cluster against that round's single node, minutes apart at most.
      clusterToSingle: {
        requestsPerSecond: round(median(cluster.map((c, i) => c.requestsPerSecond / baseline[i].requestsPerSecond)), 3),
        p99: round(median(cluster.map((c, i) => c.p99Ms / baseline[i].p99Ms)), 3),
        cpuPerRequest: round(median(cluster.map((c, i) => c.cpuMsPerRequest! / baseline[i].cpuMsPerRequest!)), 3),
      },
    };
  };
  const me = summary((r) => r.me);
  const instances = summary((r) => r.instances);
  const failures = rounds.reduce((sum, r) => sum + r.me.failures + r.instances.failures, 0);
  const aim = 0.7;
  console.log(JSON.stringify({
    scope: `POST /graphql, HTTP/1.1 keep-alive, from this process, to Awan as npm start runs it: ${TOPOLOGIES.map((t) => t.name).join(' and ')}, each started afresh in each of ${ROUNDS} rounds; figures are the medians of the rounds, ratios the median of each round's own`,
    concurrency: CONCURRENCY,
    warmupSeconds: WARMUP_MS / 1000,
    measuredSeconds: MEASURE_MS / 1000,
    me,
    instances,
    aim: `cluster/single node requests/s at least ${aim}`,
    met: me.clusterToSingle.requestsPerSecond >= aim && instances.clusterToSingle.requestsPerSecond >= aim,
    rounds,
    failures,
    ok: failures === 0,
    cores: os.cpus().length,
    node: process.version,
  }, null, 2));
  if (failures > 0) log(`${failures} requests failed: see firstFailure in each round's cases`);
}

if (process.env[BARE_APOLLO_ROLE]) await serveBareApollo();
else if (process.env[OTLP_SINK_ROLE]) await serveOtlpSink();
else if (process.argv.slice(2).includes('cluster')) await runClusterBench();
else await runBench();
