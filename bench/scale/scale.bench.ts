// Awan at scale: SCALE_HOSTS hosts (1,000) of one region heartbeating every 2 s, and SCALE_INSTANCES
// instances (10,000) created through the public GraphQL API by many accounts. The hosts are a
// SIMULATED fleet (libs/testing's SimulatedFleet: one process of this file's own answering
// `agent.<id>.>` for every host with the agent protocol after plausible delays; nothing runs on this
// machine); compute, network, billing and the gateway are the real, built services, on a nats-server
// and a database of the run's own. In order:
//   1. the fleet up and every host UP; a quiet window (SCALE_WINDOW_SECONDS, 30) of heartbeats alone:
//      heartbeats ingested per second (hosts whose last_heartbeat_at moved, sampled every second),
//      the oldest heartbeat seen, and the CPU (cores) and RSS of compute, of this database's
//      PostgreSQL sessions and of the simulation while they are ingested (/proc/<pid>/stat, status)
//   2. create → RUNNING at 0 instances: SCALE_PROBE (100) creates by 10 accounts, one at a time each,
//      from the mutation sent to the account's `instanceUpdated` subscription saying RUNNING; the
//      first account (the tenant) keeps its 10
//   3. at 100 instances, once the platform has settled them (the control plane's CPU back to what it
//      was at rest, with the heartbeats alone): the tenant's `instances(first: 20)` and
//      `upcomingInvoice`, and ADMIN's `hosts`, each SCALE_REQUESTS (300) times, 2 at a time: p50 and p99,
//      and where the time went: the mean of each layer the services time (their /metrics: the
//      gateway's operation, its requests over NATS, the services' handling of them), the cores the
//      machine was busy meanwhile, and this process's own event-loop delay
//   4. filled to SCALE_INSTANCES / 2 (SCALE_CONCURRENCY creates at a time, 100 per account), every
//      instance RUNNING; create → RUNNING again; filled to SCALE_INSTANCES; settled; the queries of 3 again
//      (the tenant's ratios to 3's), the heartbeat window again, create → RUNNING again
//   5. the scheduler's placement decision, as compute makes it (scheduler.ts): its read model of the
//      region read (readCandidates: the best few hosts with room) and ranked (rankHosts),
//      SCALE_DECISIONS (500) times, on its own connection while the system runs; the ranking alone beside it;
//      and the whole reservation a create makes (the decision, the host's row taken, the reservation recorded), rolled back
//   6. false DOWN verdicts (HostDown events: no host of the fleet ever stops, so any is false) and
//      hosts not UP; the event store's size (pg_total_relation_size of each schema's events table)
// Prints what it does on stderr and its JSON last on stdout.
// Needs PostgreSQL (DATABASE_URL as for the tests) and nats-server on PATH; no root, no hypervisor.
// Usage: npm run bench:scale   (quick: SCALE_HOSTS=100 SCALE_INSTANCES=1000 npm run bench:scale; SCALE_KEEP_DATABASE=1 keeps its database)
import { randomBytes, randomUUID } from 'node:crypto';
import { mkdtempSync, readFileSync, rmSync } from 'node:fs';
import http from 'node:http';
import os from 'node:os';
import path from 'node:path';
import { monitorEventLoopDelay, performance } from 'node:perf_hooks';
import { setTimeout as sleep } from 'node:timers/promises';
import { fileURLToPath } from 'node:url';
import type pg from 'pg';
import { createPool, withTransaction } from '#libs/event-store';
import {
  connectServiceClient, createServiceDatabase, GraphqlClient, runBuilt, runFixture, SimulatedFleet, waitFor, type Fixture,
} from '#libs/testing';
import { freePort, startNatsServer } from '../../scripts/embedded-servers.js';
import { rankHosts, type PlacementRequest } from '../../apps/compute/src/scheduler/placement.js';
import { readCandidates, Scheduler } from '../../apps/compute/src/scheduler/scheduler.js';
import { ready, stop } from '../common/fixtures.js';
import { cpuMsOf, databaseSessionsCpu, machineBusyMs } from '../common/processes.js';

const HOSTS = Number(process.env.SCALE_HOSTS ?? 1000);
const INSTANCES = Number(process.env.SCALE_INSTANCES ?? 10_000);
const PROBE = Number(process.env.SCALE_PROBE ?? 100);
const PROBE_ACCOUNTS = 10;
const PER_FILL_ACCOUNT = 100;
const CONCURRENCY = Number(process.env.SCALE_CONCURRENCY ?? 16);
const WINDOW_MS = Number(process.env.SCALE_WINDOW_SECONDS ?? 30) * 1000;
const REQUESTS = Number(process.env.SCALE_REQUESTS ?? 300);
/** An account may run 2 expensive requests (those that rate usage, upcomingInvoice) at a time. */
const QUERY_CONCURRENCY = 2;
const DECISIONS = Number(process.env.SCALE_DECISIONS ?? 500);
const HEARTBEAT_INTERVAL_MS = 2000;
const REGION = 'local';
/** Set in the child process that is the simulated fleet: this same file. */
const FLEET_ROLE = 'BENCH_SCALE_FLEET';
const HOST_PREFIX = 'sim-host-';

const CREATE = 'mutation ($input: CreateInstanceInput!) { createInstance(input: $input) { id status } }';
const INSTANCES_PAGE = '{ instances(first: 20) { edges { node { id name status } } } }';
const UPCOMING_INVOICE = '{ upcomingInvoice { id status total { amount currency } lines { sku quantity amount { amount } } } }';
const HOSTS_LIST = '{ hosts { id name status region { id } vcpus memoryMb allocatedVcpus allocatedMemoryMb lastHeartbeatAt } }';
const CONTAINER = { kind: 'CONTAINER', imageId: 'dev-busybox-rootfs', planId: 'ct-512m', regionId: REGION, billingCycle: 'HOURLY' };
const PLACEMENT: PlacementRequest = { regionId: REGION, kind: 'CONTAINER', vcpus: 1, memoryMb: 512, diskGb: 5 };

const round = (n: number, places = 0) => Math.round(n * 10 ** places) / 10 ** places;
const log = (line: string) => console.error(`bench/scale: ${line}`);
function percentiles(values: number[]): { n: number; p50Ms: number; p99Ms: number; maxMs: number } {
  const sorted = [...values].sort((a, b) => a - b);
  const at = (q: number) => round(sorted[Math.min(sorted.length - 1, Math.max(0, Math.ceil(q * sorted.length) - 1))] ?? NaN, 2);
  return { n: sorted.length, p50Ms: at(0.5), p99Ms: at(0.99), maxMs: round(sorted.at(-1) ?? NaN, 2) };
}

// ---- the simulated fleet's process ----

async function runFleet(): Promise<void> {
  const fleet = await SimulatedFleet.start({
    natsUrl: process.env.NATS_URL!, count: HOSTS, hostIdPrefix: HOST_PREFIX, regionId: REGION, kinds: ['CONTAINER', 'VM'],
    heartbeatIntervalMs: HEARTBEAT_INTERVAL_MS,
  });
  console.log(`fleet of ${fleet.hosts.length} simulated hosts running`);
  // What it did so far, once a second, for the bench to read the last of.
  setInterval(() => console.log(`fleet ${JSON.stringify({ heartbeats: fleet.heartbeats(), instances: fleet.instances(), answered: fleet.answered() })}`), 1000);
  process.once('SIGTERM', () => void fleet.stop().finally(() => process.exit(0)));
}

// ---- measuring processes ----

/** A process's resident and peak resident memory, in MB. */
function memoryOf(pid: number): { rssMb: number; peakRssMb: number } {
  const status = readFileSync(`/proc/${pid}/status`, 'utf8');
  const kb = (field: string) => Number(new RegExp(`^${field}:\\s+(\\d+)`, 'm').exec(status)?.[1] ?? NaN);
  return { rssMb: round(kb('VmRSS') / 1024, 1), peakRssMb: round(kb('VmHWM') / 1024, 1) };
}

// ---- the API ----

/** One GraphQL POST on a keep-alive agent: its data, or the errors thrown as one Error (its code in the message). */
function post<T>(agent: http.Agent, url: string, key: string, query: string, variables?: Record<string, unknown>): Promise<T> {
  const body = JSON.stringify({ query, variables });
  return new Promise((resolve, reject) => {
    const request = http.request(url, {
      method: 'POST', agent,
      headers: { 'content-type': 'application/json', 'content-length': Buffer.byteLength(body), authorization: `Bearer ${key}` },
    }, (response) => {
      let text = '';
      response.setEncoding('utf8');
      response.on('data', (chunk: string) => (text += chunk));
      response.on('end', () => {
        try {
          const parsed = JSON.parse(text) as { data?: T; errors?: { message: string; extensions?: { code?: string } }[] };
          if (response.statusCode === 200 && !parsed.errors && parsed.data) return resolve(parsed.data);
          reject(new Error(`${parsed.errors?.[0]?.extensions?.code ?? response.statusCode}: ${parsed.errors?.[0]?.message ?? text.slice(0, 300)}`));
        } catch {
          reject(new Error(`${response.statusCode}: ${text.slice(0, 300)}`));
        }
      });
      response.on('error', reject);
    });
    request.on('error', reject);
    request.end(body);
  });
}

/**
 * A request asked again while it is UNAVAILABLE (a new account is known to billing a moment after it
 * is made); `sending` is told when each attempt goes.
 */
async function persist<T>(send: () => Promise<T>, what: string, sending: () => void = () => undefined): Promise<T> {
  const deadline = Date.now() + 60_000;
  for (;;) {
    try {
      sending();
      return await send();
    } catch (error) {
      if (!/^UNAVAILABLE/.test((error as Error).message) || Date.now() > deadline) throw new Error(`${what}: ${(error as Error).message}`);
      await sleep(200);
    }
  }
}

async function runBench(): Promise<void> {
  const tempDir = mkdtempSync(path.join(os.tmpdir(), 'awan-scale-'));
  const nats = await startNatsServer(path.join(tempDir, 'nats'), () => undefined, null);
  const database = await createServiceDatabase('awan_bench_scale_');
  const adminKey = randomBytes(20).toString('hex');
  const gatewayPort = await freePort();
  const api = `http://127.0.0.1:${gatewayPort}/graphql`;
  const common = { DATABASE_URL: database.url, NATS_URL: nats.url, LOG_LEVEL: 'warn', LOG_FORMAT: 'json' };
  /** Where each service serves its metrics (the gateway on its API's port). */
  const metricsPorts = { compute: await freePort(), network: await freePort(), billing: await freePort(), gateway: gatewayPort };
  const services = new Map<string, Fixture>();
  const { client, close: closeClient } = await connectServiceClient('scale-bench', nats.url);
  const agent = new http.Agent({ keepAlive: true, maxSockets: CONCURRENCY + PROBE_ACCOUNTS + QUERY_CONCURRENCY });
  const admin = (query: string, variables?: Record<string, unknown>) => post<any>(agent, api, adminKey, query, variables);
  let db: pg.Pool | undefined;
  let computeDb: pg.Pool | undefined;
  const subscriptions: { dispose(): Promise<void> | void }[] = [];
  const started = performance.now();

  try {
    // ---- the control plane and the fleet ----
    services.set('compute', runBuilt('dist/apps/compute/src/main.js', {
      ...common, PORT: String(metricsPorts.compute),
      // Per account: a probe account holds 10 at a time, a filling one 100; the defaults (20, 40 vCPUs) would refuse them.
      QUOTA_INSTANCES: '1000', QUOTA_VCPUS: '1000', QUOTA_MEMORY_MB: String(1000 * 1024),
    }));
    services.set('network', runBuilt('dist/apps/network/src/main.js', { ...common, PORT: String(metricsPorts.network) }));
    services.set('billing', runBuilt('dist/apps/billing/src/main.js', { ...common, PORT: String(metricsPorts.billing) }));
    services.set('gateway', runBuilt('dist/apps/gateway/src/main.js', {
      ...common, GATEWAY_PORT: String(gatewayPort), AWAN_ADMIN_API_KEY: adminKey, RATE_LIMIT_PER_SECOND: '1000000', RATE_LIMIT_BURST: '1000000',
    }));
    for (const name of ['compute', 'network', 'billing'] as const) {
      await ready(name, services.get(name)!, () => client.call(`${name}.health`, {}, 1000).then(() => true, () => false));
    }
    await ready('the gateway', services.get('gateway')!, () => admin('{ me { id } }').then(() => true, () => false));
    db = createPool(database.url, { schema: 'compute', max: 4 });
    computeDb = createPool(database.url, { schema: 'compute', max: 2 });
    const computePid = services.get('compute')!.child.pid!;

    log(`starting a simulated fleet of ${HOSTS} hosts`);
    const fleet = runFixture(fileURLToPath(import.meta.url), { [FLEET_ROLE]: '1', NATS_URL: nats.url, SCALE_HOSTS: String(HOSTS) });
    services.set('fleet', fleet);
    await ready('the fleet', fleet, () => fleet.output().includes('simulated hosts running'), 120_000);
    const fleetStats = () => {
      const output = fleet.output();
      const lines = output.slice(0, output.lastIndexOf('\n')); // whole lines only
      const last = lines.lastIndexOf('\nfleet {');
      return JSON.parse(last < 0 ? '{"heartbeats":0}' : lines.slice(last + '\nfleet '.length).split('\n')[0]) as { heartbeats: number; instances: number; answered: Record<string, number> };
    };
    const hostsUp = async () => (await admin('{ hosts { status } }')).hosts.filter((h: { status: string }) => h.status === 'UP').length as number;
    let up = 0;
    await ready(`${HOSTS} hosts UP`, fleet, async () => (up = await hostsUp()) >= HOSTS, 180_000).catch((error: Error) => {
      throw new Error(`${error.message} (${up} UP)`);
    });
    log(`${HOSTS} hosts UP after ${round((performance.now() - started) / 1000, 1)} s`);

    // Room for every instance: an operator's pool of its own (the seeded /25 holds 125 addresses), checked with every host.
    const poolCreation = performance.now();
    await admin('mutation { retireIpPool(id: "local-ipv4") { id } }');
    await admin(`mutation { createIpPool(input: { regionId: "${REGION}", cidr: "10.96.0.0/16", bridge: "awanbr0", gateway: "10.96.0.1" }) { id } }`);
    const poolCreationMs = round(performance.now() - poolCreation);
    log(`IPv4 pool 10.96.0.0/16 created after asking ${HOSTS} hosts in ${poolCreationMs} ms`);

    // ---- the measurements ----

    /** A quiet window of heartbeats alone: ingested per second, the oldest heartbeat, CPU and memory. */
    async function heartbeatWindow() {
      const postgresMs = await databaseSessionsCpu(db!);
      const computeBefore = cpuMsOf(computePid)!;
      const fleetBefore = cpuMsOf(fleet.child.pid!)!;
      const sentBefore = fleetStats().heartbeats;
      let since = (await db!.query<{ now: Date }>('SELECT now() AS now')).rows[0].now;
      const windowStart = performance.now();
      let ingested = 0;
      let oldestSeconds = 0;
      while (performance.now() - windowStart < WINDOW_MS) {
        await sleep(1000);
        const { rows } = await db!.query<{ now: Date; moved: number; oldest: number }>(
          `SELECT now() AS now, count(*) FILTER (WHERE last_heartbeat_at > $1)::integer AS moved,
                  extract(epoch FROM now() - min(last_heartbeat_at))::float8 AS oldest FROM host_resources`,
          [since],
        );
        since = rows[0].now;
        ingested += rows[0].moved;
        oldestSeconds = Math.max(oldestSeconds, rows[0].oldest);
      }
      const seconds = (performance.now() - windowStart) / 1000;
      return {
        seconds: round(seconds, 1),
        heartbeatsSentPerSecond: round((fleetStats().heartbeats - sentBefore) / seconds, 1),
        heartbeatsIngestedPerSecond: round(ingested / seconds, 1),
        oldestHeartbeatSeconds: round(oldestSeconds, 2),
        compute: { cores: round((cpuMsOf(computePid)! - computeBefore) / 1000 / seconds, 3), ...memoryOf(computePid) },
        postgresSessions: { cores: round((await postgresMs()) / 1000 / seconds, 3) },
        simulation: { cores: round((cpuMsOf(fleet.child.pid!)! - fleetBefore) / 1000 / seconds, 3) },
      };
    }

    /** The cores the control plane's services and this database's PostgreSQL sessions (autovacuum's too) spend over `ms`. */
    async function platformCores(ms: number): Promise<number> {
      const pids = ['compute', 'network', 'billing', 'gateway'].map((name) => services.get(name)!.child.pid!);
      const servicesMs = () => pids.reduce((sum, pid) => sum + (cpuMsOf(pid) ?? 0), 0);
      const postgresMs = await databaseSessionsCpu(db!);
      const before = servicesMs();
      await sleep(ms);
      return (servicesMs() - before + (await postgresMs())) / ms;
    }

    /**
     * Waits for the platform to finish what it was just asked (its consumers, projections and
     * relays, PostgreSQL's autovacuum of what they wrote), so that what is measured next depends on
     * the size, not on the work that reached it: until 5 s of the control plane cost no more than
     * the fleet's heartbeats alone did (`quiet`, with a margin), 5 minutes at most.
     */
    async function settle(quiet: number): Promise<{ seconds: number; cores: number }> {
      const since = performance.now();
      let cores: number;
      do cores = await platformCores(5000);
      while (cores > quiet * 1.5 + 0.05 && performance.now() - since < 5 * 60_000);
      return { seconds: round((performance.now() - since) / 1000, 1), cores: round(cores, 3) };
    }

    /**
     * Each request-timing series the services keep so far (the gateway's GraphQL operations, the
     * requests services send and those they answer over NATS): its seconds and count, by
     * `service ran|asked|answered operation|subject`.
     */
    async function requestTimes(): Promise<Map<string, { seconds: number; count: number }>> {
      const series = new Map<string, { seconds: number; count: number }>();
      for (const [service, port] of Object.entries(metricsPorts)) {
        const text = await (await fetch(`http://127.0.0.1:${port}/metrics`)).text();
        for (const [, metric, part, labels, value] of text.matchAll(/^awan_(graphql_operation|nats_request|nats_client_request)_duration_seconds_(sum|count)\{(.*)\} (\S+)$/gm)) {
          const [, what, code] = /(?:subject|operation)="([^"]*)".*code="([^"]*)"/.exec(labels)!;
          const name = `${service} ${{ graphql_operation: 'ran', nats_request: 'answered', nats_client_request: 'asked' }[metric]} ${what}${code === 'OK' ? '' : ` (${code})`}`;
          const entry = series.get(name) ?? { seconds: 0, count: 0 };
          if (part === 'sum') entry.seconds = Number(value);
          else entry.count = Number(value);
          series.set(name, entry);
        }
      }
      return series;
    }

    /** The platform's count of instances by status. */
    const statuses = async () =>
      Object.fromEntries((await db!.query<{ status: string; n: number }>('SELECT status, count(*)::integer AS n FROM instances GROUP BY status')).rows.map((r) => [r.status, r.n])) as Record<string, number>;
    const total = async () => Object.values(await statuses()).reduce((sum, n) => sum + n, 0);

    let accountNumber = 0;
    async function newAccount(prefix: string): Promise<{ id: string; key: string }> {
      const { createAccount } = await admin(`mutation { createAccount(input: { name: "${prefix}-${++accountNumber}", kind: CUSTOMER }) { account { id } apiKey { secret } } }`);
      return { id: createAccount.account.id, key: createAccount.apiKey.secret };
    }
    /** The instance's id, and when the attempt that made it was sent (a new account's first may be refused UNAVAILABLE). */
    const create = async (key: string, name: string) => {
      let sent = 0;
      const { createInstance } = await persist(() => post<{ createInstance: { id: string } }>(agent, api, key, CREATE, { input: { ...CONTAINER, name } }),
        `create ${name}`, () => (sent = performance.now()));
      return { id: createInstance.id, sent };
    };

    /**
     * PROBE creates by PROBE_ACCOUNTS new accounts, one at a time each: each one's time from the
     * mutation sent until the account's instanceUpdated subscription says RUNNING.
     */
    async function probe(label: string): Promise<{ accounts: { id: string; key: string }[]; latencies: number[] }> {
      const accounts = await Promise.all(Array.from({ length: PROBE_ACCOUNTS }, () => newAccount(`probe-${label}`)));
      const latencies: number[] = [];
      await Promise.all(accounts.map(async (account, a) => {
        const runningAt = new Map<string, number>();
        const waiting = new Map<string, () => void>();
        const ws = new GraphqlClient(api, account.key).subscriptions();
        subscriptions.push(ws);
        await new Promise<void>((resolve, reject) => {
          ws.on('connected', () => resolve());
          ws.on('error', reject);
        });
        ws.subscribe<{ instanceUpdated: { id: string; status: string } }>({ query: 'subscription { instanceUpdated { id status } }' }, {
          next: ({ data }) => {
            const instance = data?.instanceUpdated;
            if (instance?.status !== 'RUNNING' || runningAt.has(instance.id)) return;
            runningAt.set(instance.id, performance.now());
            waiting.get(instance.id)?.();
          },
          error: (error) => log(`probe subscription: ${JSON.stringify(error)}`),
          complete: () => undefined,
        });
        await sleep(500); // the subscription registered at the gateway
        for (let i = 0; i < PROBE / PROBE_ACCOUNTS; i++) {
          const { id, sent } = await create(account.key, `probe-${label}-${a}-${i}`);
          if (!runningAt.has(id)) {
            // Should the update be missed, the instance is asked after 30 s (and the latency is then no better than that).
            await Promise.race([new Promise<void>((resolve) => waiting.set(id, resolve)), sleep(30_000)]);
            if (!runningAt.has(id)) {
              await waitFor(async () => (await post<any>(agent, api, account.key, `{ instance(id: "${id}") { status } }`)).instance.status === 'RUNNING', 120_000, `probe instance ${id} RUNNING`);
              runningAt.set(id, performance.now());
            }
          }
          latencies.push(runningAt.get(id)! - sent);
        }
        await ws.dispose();
      }));
      return { accounts, latencies };
    }

    let filled = 0;
    /** Creates until the platform holds `target` instances, CONCURRENCY at a time, PER_FILL_ACCOUNT per new account; then waits for every one RUNNING. */
    async function fill(target: number): Promise<{ created: number; seconds: number; createsPerSecond: number; runningAfterSeconds: number }> {
      const need = target - (await total());
      const fillStarted = performance.now();
      let next = 0;
      const first = filled;
      filled += need;
      const slices = Array.from({ length: Math.ceil(need / PER_FILL_ACCOUNT) }, (_, s) => Math.min(PER_FILL_ACCOUNT, need - s * PER_FILL_ACCOUNT));
      let slice = 0;
      let lastLog = performance.now();
      await Promise.all(Array.from({ length: Math.min(CONCURRENCY, slices.length) }, async () => {
        while (slice < slices.length) {
          const count = slices[slice++];
          const account = await newAccount('fill');
          for (let i = 0; i < count; i++) {
            await create(account.key, `fill-${first + next++}`);
            if (performance.now() - lastLog > 15_000) {
              lastLog = performance.now();
              log(`  ${next} of ${need} created (${round(next / ((performance.now() - fillStarted) / 1000), 1)}/s)`);
            }
          }
        }
      }));
      const createdSeconds = (performance.now() - fillStarted) / 1000;
      let last: Record<string, number> = {};
      await waitFor(async () => {
        last = await statuses();
        if (last.ERROR) throw new Error(`${last.ERROR} instances in ERROR: ${JSON.stringify(last)}`);
        if ((last.RUNNING ?? 0) >= target) return true;
        await sleep(1000);
        return false;
      }, 15 * 60_000, `${target} instances RUNNING`).catch((error: Error) => {
        throw new Error(`${error.message}; last seen: ${JSON.stringify(last)}`);
      });
      return {
        created: need, seconds: round(createdSeconds, 1), createsPerSecond: round(need / createdSeconds, 1),
        runningAfterSeconds: round((performance.now() - fillStarted) / 1000, 1),
      };
    }

    /**
     * The query REQUESTS times (after 20 to warm up), QUERY_CONCURRENCY at a time: p50, p99; and
     * where its time went, so that a size's growth can be placed: the mean of each layer the
     * services time it at (`layers`: the gateway's operation, its requests to services over NATS,
     * the services' handling of them), the cores the whole machine was busy meanwhile, and the
     * p99 delay of this process's own event loop (which times the requests).
     */
    async function latencyOf(key: string, query: string) {
      for (let i = 0; i < 20; i++) await post(agent, api, key, query);
      const latencies: number[] = [];
      let sent = 0;
      const [layersBefore, busyBefore] = [await requestTimes(), machineBusyMs()];
      const loop = monitorEventLoopDelay({ resolution: 5 });
      loop.enable();
      const t0 = performance.now();
      await Promise.all(Array.from({ length: QUERY_CONCURRENCY }, async () => {
        while (sent++ < REQUESTS) {
          const t = performance.now();
          await post(agent, api, key, query);
          latencies.push(performance.now() - t);
        }
      }));
      const [elapsedMs, busyMs] = [performance.now() - t0, machineBusyMs() - busyBefore];
      loop.disable();
      const layers = Object.fromEntries([...(await requestTimes())].flatMap(([series, { seconds, count }]) => {
        const before = layersBefore.get(series) ?? { seconds: 0, count: 0 };
        // This query's series: each of its requests counted at least once (heartbeats and the platform's own calls are not).
        return count - before.count >= REQUESTS ? [[series, round(((seconds - before.seconds) / (count - before.count)) * 1000, 3)]] : [];
      }));
      return { ...percentiles(latencies), layers, machineCores: round(busyMs / elapsedMs, 2), benchLoopDelayP99Ms: round(loop.percentile(99) / 1e6, 1) };
    }
    const queries = async (tenant: { key: string }) => ({
      platformInstances: await total(),
      instancesFirst20: await latencyOf(tenant.key, INSTANCES_PAGE),
      upcomingInvoice: await latencyOf(tenant.key, UPCOMING_INVOICE),
      adminHosts: await latencyOf(adminKey, HOSTS_LIST),
    });

    /**
     * The scheduler's decision as compute makes it, on its own connection: the read model read and
     * ranked; the ranking alone; the whole reservation a create makes, in a transaction rolled back.
     */
    async function decisions() {
      const decided: number[] = [];
      const ranked: number[] = [];
      const reserved: number[] = [];
      const scheduler = new Scheduler(computeDb!);
      const rolledBack = new Error('rolled back');
      let candidates = 0;
      for (let i = 0; i < DECISIONS; i++) {
        const t = performance.now();
        const hosts = await readCandidates(computeDb!, PLACEMENT);
        const r = performance.now();
        const best = rankHosts(hosts, PLACEMENT)[0];
        const end = performance.now();
        if (!best) throw new Error('the scheduler found no host with room');
        decided.push(end - t);
        ranked.push(end - r);
        candidates = hosts.length;
        await withTransaction(computeDb!, async (tx) => {
          const started = performance.now();
          await scheduler.reserve(tx, randomUUID(), PLACEMENT);
          reserved.push(performance.now() - started);
          throw rolledBack;
        }).catch((error: unknown) => {
          if (error !== rolledBack) throw error;
        });
      }
      return { candidates, decision: percentiles(decided), rankOnly: percentiles(ranked), reservation: percentiles(reserved) };
    }

    log(`heartbeat window at 0 instances (${WINDOW_MS / 1000} s)`);
    const heartbeatsAt0 = await heartbeatWindow();
    log(`  ${JSON.stringify(heartbeatsAt0)}`);
    const quiet = await platformCores(10_000);
    log(`  the control plane at rest: ${round(quiet, 3)} cores`);
    log('placement decisions at 0 instances');
    const placementAt0 = await decisions();
    log(`  ${JSON.stringify(placementAt0)}`);

    log(`create → RUNNING at 0 instances (${PROBE} creates)`);
    const probe0 = await probe('0');
    log(`  ${JSON.stringify(percentiles(probe0.latencies))}`);
    const tenant = probe0.accounts[0];
    const settledSmall = await settle(quiet);
    log(`  settled in ${settledSmall.seconds} s (${settledSmall.cores} cores)`);
    const queriesSmall = await queries(tenant);
    log(`  at ${queriesSmall.platformInstances}: ${JSON.stringify(queriesSmall)}`);

    log(`filling to ${INSTANCES / 2} instances`);
    const fillHalf = await fill(INSTANCES / 2);
    log(`  ${JSON.stringify(fillHalf)}`);
    log(`create → RUNNING at ${INSTANCES / 2} instances`);
    const probeHalf = await probe(String(INSTANCES / 2));
    log(`  ${JSON.stringify(percentiles(probeHalf.latencies))}`);

    log(`filling to ${INSTANCES} instances`);
    const fillFull = await fill(INSTANCES);
    log(`  ${JSON.stringify(fillFull)}`);
    const settledLarge = await settle(quiet);
    log(`  settled in ${settledLarge.seconds} s (${settledLarge.cores} cores)`);
    const queriesLarge = await queries(tenant);
    log(`  at ${queriesLarge.platformInstances}: ${JSON.stringify(queriesLarge)}`);
    log(`heartbeat window at ${INSTANCES} instances`);
    const heartbeatsAtN = await heartbeatWindow();
    log(`  ${JSON.stringify(heartbeatsAtN)}`);
    log(`placement decisions at ${INSTANCES} instances`);
    const placementAtN = await decisions();
    log(`  ${JSON.stringify(placementAtN)}`);
    log(`create → RUNNING at ${INSTANCES} instances`);
    const probeFull = await probe(String(INSTANCES));
    log(`  ${JSON.stringify(percentiles(probeFull.latencies))}`);

    const { rows: [verdicts] } = await db.query<{ down: number; notUp: number }>(
      `SELECT (SELECT count(*) FROM events WHERE type = 'HostDown')::integer AS down,
              (SELECT count(*) FROM hosts WHERE status <> 'UP')::integer AS "notUp"`,
    );
    const { rows: eventTables } = await db.query<{ schema: string; bytes: string }>(
      `SELECT n.nspname AS schema, pg_total_relation_size(c.oid) AS bytes
       FROM pg_class c JOIN pg_namespace n ON n.oid = c.relnamespace WHERE c.relname = 'events' AND c.relkind = 'r' ORDER BY 1`,
    );
    const eventCounts = Object.fromEntries(await Promise.all(eventTables.map(async (t) =>
      [t.schema, (await db!.query<{ n: number }>(`SELECT count(*)::integer AS n FROM "${t.schema}".events`)).rows[0].n] as const)));
    const eventBytes = eventTables.reduce((sum, t) => sum + Number(t.bytes), 0);
    const finalInstances = await total();

    const ratio = (large: number, small: number) => round(large / small, 2);
    const p = (probed: { latencies: number[] }) => percentiles(probed.latencies);
    const result = {
      benchmark: 'scale',
      scope: `${HOSTS} simulated hosts of one region heartbeating every ${HEARTBEAT_INTERVAL_MS / 1000} s; instances created through the GraphQL API by accounts of ${PER_FILL_ACCOUNT} (probes: ${PROBE_ACCOUNTS} accounts of ${PROBE / PROBE_ACCOUNTS}, one create at a time each); the real compute, network, billing and gateway`,
      hosts: HOSTS,
      instances: finalInstances,
      createToRunning: { at0: p(probe0), [`at${INSTANCES / 2}`]: p(probeHalf), [`at${INSTANCES}`]: p(probeFull) },
      fill: { toHalf: fillHalf, toFull: fillFull },
      placementDecision: { at0: placementAt0, [`at${INSTANCES}`]: placementAtN, aimP99Ms: 5 },
      queries: {
        quietCores: round(quiet, 3),
        settled: { small: settledSmall, large: settledLarge },
        small: queriesSmall,
        large: queriesLarge,
        p99Ratio: {
          instancesFirst20: ratio(queriesLarge.instancesFirst20.p99Ms, queriesSmall.instancesFirst20.p99Ms),
          upcomingInvoice: ratio(queriesLarge.upcomingInvoice.p99Ms, queriesSmall.upcomingInvoice.p99Ms),
          adminHosts: ratio(queriesLarge.adminHosts.p99Ms, queriesSmall.adminHosts.p99Ms),
          aim: 1.2,
        },
      },
      heartbeats: { at0: heartbeatsAt0, [`at${INSTANCES}`]: heartbeatsAtN, aimComputeCores: 0.3 },
      falseDownVerdicts: verdicts.down,
      hostsNotUp: verdicts.notUp,
      ipPoolCreationMs: poolCreationMs,
      eventStore: {
        totalMb: round(eventBytes / 2 ** 20, 1),
        bytesPerInstance: round(eventBytes / finalInstances),
        bySchema: Object.fromEntries(eventTables.map((t) => [t.schema, { mb: round(Number(t.bytes) / 2 ** 20, 2), events: eventCounts[t.schema] }])),
      },
      simulation: fleetStats(),
      seconds: round((performance.now() - started) / 1000),
      load: os.loadavg().map((l) => round(l, 2)),
      cores: os.cpus().length,
      node: process.version,
    };
    console.log(JSON.stringify(result, null, 2));
    if (verdicts.down > 0) process.exitCode = 1;
  } finally {
    agent.destroy();
    await Promise.all(subscriptions.map((s) => Promise.resolve(s.dispose()).catch(() => undefined)));
    await Promise.all([...services.values()].map(stop));
    await closeClient();
    await db?.end();
    await computeDb?.end();
    // Kept, its plans can be read at the size the run left (SCALE_KEEP_DATABASE=1).
    if (process.env.SCALE_KEEP_DATABASE) {
      await database.keep();
      log(`database kept: ${database.url}`);
    } else await database.drop();
    await nats.stop();
    rmSync(tempDir, { recursive: true, force: true });
  }
}

if (process.env[FLEET_ROLE]) await runFleet();
else await runBench();
