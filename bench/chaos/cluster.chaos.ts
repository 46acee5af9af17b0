// npm run chaos:cluster: Awan as a cluster on this machine (AWAN_CLUSTER=1: three NATS nodes, two
// replicas of each service, streams and consumers on three), its own PostgreSQL, and a simulated host
// (no hypervisor needed), while CHAOS_INSTANCES (100) containers are created and deleted through the
// GraphQL API, five at a time. Meanwhile, in turn: a NATS node killed with -9 (the supervisor starts
// it again), one replica of each service killed with -9, compute's relay leader killed with -9, and
// PostgreSQL restarted, round after round until the containers are done (one round at least).
// Prints { created, deleted, lost, duplicated, stuck, billingGaps, ipDuplicates, requestsFailed,
// requestsUnavailable } and exits 1 unless lost, duplicated, stuck, billingGaps, ipDuplicates and
// requestsFailed are 0 (requests may fail only as UNAVAILABLE, or with the gateway they reached gone).
import { spawnSync } from 'node:child_process';
import { mkdtempSync, readFileSync, rmSync } from 'node:fs';
import os from 'node:os';
import path from 'node:path';
import { setTimeout as sleep } from 'node:timers/promises';
import pg from 'pg';
import { childProcesses, GraphqlClient, startTestAwan, waitFor, type TestAwan } from '#libs/testing';
import { meterInstance } from '../../apps/billing/src/metering/meter.js';
import { APPS } from '../../scripts/services.js';
import { startEmbeddedPostgres, type EmbeddedServer } from '../../scripts/embedded-servers.js';

const INSTANCES = Number(process.env.CHAOS_INSTANCES ?? 100);
const CONCURRENCY = 5;
const TRANSITIONAL = ['PENDING', 'PROVISIONING', 'STARTING', 'STOPPING', 'REBOOTING', 'RESIZING', 'MIGRATING', 'DELETING'];
const SERVICES = APPS.filter((app) => app.name !== 'host-agent').map((app) => app.name);

const counts = { requestsFailed: 0, requestsUnavailable: 0 };
const failures: string[] = [];
const log = (line: string) => console.error(`[chaos] ${line}`);

const childrenOf = childProcesses;

/** Every service process of the run (the supervisor's children): its app, its port (replicas apart), its pid. */
function processes(): { app: string; port: string; pid: number }[] {
  const found: { app: string; port: string; pid: number }[] = [];
  for (const pid of childrenOf(awan.launcher.pid).flatMap(childrenOf)) {
    try {
      const environ = readFileSync(`/proc/${pid}/environ`, 'utf8').split('\0');
      const app = /dist\/apps\/([a-z-]+)\/src\/main\.js/.exec(readFileSync(`/proc/${pid}/cmdline`, 'utf8'))?.[1];
      const port = environ.find((e) => e.startsWith('PORT='))?.slice(5);
      if (app && port) found.push({ app, port, pid });
    } catch {
      // gone meanwhile
    }
  }
  return found;
}

function natsNodes(dataDir: string): number[] {
  return (spawnSync('pgrep', ['-f', `nats-server.*${dataDir}`]).stdout.toString().match(/\d+/g) ?? []).map(Number);
}

async function healthy(port: string): Promise<boolean> {
  return fetch(`http://127.0.0.1:${port}/health`).then((r) => r.ok, () => false);
}

/** The process whose database session leads compute's relay: the backend holding its advisory lock, by its client port. */
async function relayLeader(databaseUrl: string): Promise<number | undefined> {
  const db = new pg.Client({ connectionString: databaseUrl });
  await db.connect();
  try {
    const { rows } = await db.query<{ port: number }>(
      `SELECT a.client_port AS port FROM pg_locks l JOIN pg_stat_activity a ON a.pid = l.pid
       WHERE l.locktype = 'advisory' AND l.granted AND ((l.classid::bigint << 32) | l.objid::bigint) = hashtextextended('awan.relay.compute', 0)`,
    );
    if (!rows[0]) return undefined;
    const owner = spawnSync('ss', ['-Htnp', 'state', 'established', `( sport = :${rows[0].port} )`]).stdout.toString();
    return Number(/pid=(\d+)/.exec(owner)?.[1]) || undefined;
  } finally {
    await db.end();
  }
}

let awan!: TestAwan;
let postgres!: EmbeddedServer;
const postgresDir = mkdtempSync(path.join(os.tmpdir(), 'awan-chaos-pg-'));
let postgresPort: number;

/** One chaos round: each blow, then the system back whole before the next. */
async function round(working: () => boolean): Promise<string[]> {
  const done: string[] = [];
  const pause = () => sleep(2000 + Math.random() * 3000);
  const everyoneBack = () =>
    waitFor(async () => {
      const running = processes();
      return running.length === SERVICES.length * 2 && (await Promise.all(running.map((p) => healthy(p.port)))).every(Boolean) && natsNodes(awan.dataDir).length === 3;
    }, 120_000, 'every process back and healthy');

  const nodes = natsNodes(awan.dataDir);
  const node = nodes[Math.floor(Math.random() * nodes.length)];
  process.kill(node, 'SIGKILL');
  done.push('nats-node');
  await everyoneBack();
  for (const app of SERVICES) {
    if (!working()) return done;
    await pause();
    const replicas = processes().filter((p) => p.app === app);
    process.kill(replicas[Math.floor(Math.random() * replicas.length)].pid, 'SIGKILL');
    done.push(app);
    await everyoneBack();
  }
  if (!working()) return done;
  await pause();
  const leader = await waitFor(() => relayLeader(postgres.url), 60_000, "compute's relay leader");
  process.kill(leader, 'SIGKILL');
  done.push('compute-relay-leader');
  await everyoneBack();
  if (!working()) return done;
  await pause();
  await postgres.stop();
  await sleep(2000);
  postgres = await startEmbeddedPostgres(postgresDir, () => undefined, postgresPort);
  done.push('postgres-restart');
  await everyoneBack();
  return done;
}

try {
  postgres = await startEmbeddedPostgres(postgresDir, () => undefined, null);
  postgresPort = Number(new URL(postgres.url).port);
  awan = await startTestAwan(
    'chaos_cluster',
    {
      AWAN_CLUSTER: '1', DATABASE_URL: postgres.url, INSTANCE_TIMEOUT_MS: '60000', QUOTA_INSTANCES: '1000', QUOTA_VCPUS: '1000', QUOTA_MEMORY_MB: '10000000',
      IP_QUARANTINE_SECONDS: '0',
      // Eight service processes on one PostgreSQL of 100 connections.
      DATABASE_POOL_SIZE: '5',
    },
    { localAgent: false },
  );
  log(`Awan as a cluster: ${processes().length} service processes, ${natsNodes(awan.dataDir).length} NATS nodes`);
  const gateways = awan.gateways;
  const admin = new GraphqlClient(awan.url, awan.adminKey);
  const customer = await admin.data(`mutation { createAccount(input: { name: "Chaos Customer", kind: CUSTOMER }) { apiKey { secret } } }`);
  const key = customer.createAccount.apiKey.secret as string;

  /** A request sent until it is answered: to one gateway, the other when that one is gone; UNAVAILABLE retried, anything else counted as failed. */
  async function persist<T>(query: string, accept: (code: string) => boolean = () => false): Promise<T | null> {
    for (let attempt = 0; ; attempt++) {
      const api = new GraphqlClient(gateways[attempt % gateways.length], key);
      const response = await api.request<T>(query).catch(() => null);
      if (response && !response.errors?.length) return response.data!;
      const code = response?.errors?.[0]?.extensions?.code ?? 'UNREACHABLE';
      if (accept(code)) return null;
      if (code === 'UNAVAILABLE' || code === 'UNREACHABLE') counts.requestsUnavailable++;
      else {
        counts.requestsFailed++;
        failures.push(`${code}: ${response?.errors?.[0]?.message} (${query.slice(0, 60)})`);
      }
      await sleep(300);
    }
  }
  const statusOf = async (id: string) => (await persist<{ instance: { status: string } }>(`{ instance(id: "${id}") { status } }`))!.instance.status;
  const settle = (id: string, wanted: string[]) =>
    waitFor(async () => {
      const status = await statusOf(id);
      if (wanted.includes(status)) return status;
      await sleep(300);
      return undefined;
    }, 240_000, `instance ${id} to be ${wanted.join(' or ')}`);

  const accepted: string[] = [];
  const stuckIds: string[] = [];
  async function lifecycle(n: number): Promise<void> {
    const { createInstance } = (await persist<{ createInstance: { id: string } }>(
      `mutation { createInstance(input: { name: "chaos-${n}", kind: CONTAINER, imageId: "dev-busybox-rootfs", planId: "ct-512m", regionId: "local", billingCycle: HOURLY, idempotencyKey: "chaos-${n}" }) { id } }`,
    ))!;
    accepted.push(createInstance.id);
    try {
      await settle(createInstance.id, ['RUNNING', 'ERROR']);
      for (let attempt = 1; attempt <= 3; attempt++) {
        // CONFLICT: an operation still under way (a delete already accepted, its answer lost); the delete is asked again.
        await persist(`mutation { deleteInstance(id: "${createInstance.id}") { status } }`, (code) => code === 'CONFLICT');
        if ((await settle(createInstance.id, ['DELETED', 'ERROR'])) === 'DELETED') return;
      }
      stuckIds.push(createInstance.id);
    } catch (error) {
      log((error as Error).message);
      stuckIds.push(createInstance.id);
    }
  }

  let working = true;
  const blows: string[] = [];
  const chaos = (async () => {
    do blows.push(...(await round(() => working)));
    while (working);
  })();
  let next = 0;
  let roundsDone = false;
  void chaos.then(() => (roundsDone = true));
  await Promise.all(
    Array.from({ length: CONCURRENCY }, async () => {
      // At least INSTANCES; more while the first round has not dealt every blow.
      while (next < INSTANCES || (blows.length < SERVICES.length + 3 && next < INSTANCES * 2)) await lifecycle(next++);
    }),
  );
  working = false;
  await chaos;
  log(`blows: ${blows.join(', ')}${roundsDone ? '' : ' (the last round cut short)'}`);

  const db = new pg.Client({ connectionString: postgres.url });
  await db.connect();
  let result: Record<string, number>;
  try {
    const { rows: instances } = await db.query<{ id: string; name: string; status: string }>('SELECT id, name, status FROM compute.instances');
    const byName = new Map<string, number>();
    for (const i of instances) byName.set(i.name, (byName.get(i.name) ?? 0) + 1);
    const { rows: doubled } = await db.query<{ n: number }>(
      `SELECT count(*)::integer AS n FROM (SELECT stream_id, type FROM compute.events WHERE type IN ('InstanceRequested', 'InstanceDeleted') GROUP BY 1, 2 HAVING count(*) > 1) d`,
    );
    const known = new Set(instances.map((i) => i.id));
    // Network gives back addresses on InstanceDeleted, billing closes segments on it: their consumers may still be catching up.
    const ipDuplicates = async () =>
      (await db.query<{ n: number }>(
        `SELECT ((SELECT count(*) FROM network.ip_addresses a JOIN network.ip_addresses b ON a.address = b.address AND a.id < b.id
                  WHERE tstzrange(a.allocated_at, a.released_at) && tstzrange(b.allocated_at, b.released_at))
               + (SELECT count(*) FROM (SELECT 1 FROM network.ip_addresses WHERE instance_id IS NOT NULL GROUP BY instance_id, family HAVING count(*) > 1) d))::integer AS n`,
      )).rows[0].n;
    /** Deleted instances whose addresses were not given back: their delete is stuck half-way. */
    const held = async () =>
      (await db.query<{ id: string }>('SELECT DISTINCT instance_id AS id FROM network.ip_addresses WHERE instance_id IS NOT NULL AND released_at IS NULL')).rows.map((r) => r.id);
    const billingGaps = async () => {
      let gaps = 0;
      for (const { id } of instances) {
        const { rows: events } = await db.query(
          `SELECT event_id AS "eventId", type, version, to_char(occurred_at AT TIME ZONE 'UTC', 'YYYY-MM-DD"T"HH24:MI:SS.MS"Z"') AS "occurredAt", data
           FROM compute.events WHERE stream_id = $1 ORDER BY version`,
          [`instance-${id}`],
        );
        const { rows: billed } = await db.query<{ id: string; started: number; ended: number | null }>(
          `SELECT id, extract(epoch FROM started_at)::integer AS started, extract(epoch FROM ended_at)::integer AS ended FROM billing.usage_segments WHERE resource_id = $1`,
          [id],
        );
        const order = (a: { started: number; ended: number | null }, b: { started: number; ended: number | null }) => a.started - b.started || (a.ended ?? Infinity) - (b.ended ?? Infinity);
        const expected = (meterInstance(id, events)?.segments ?? []).map((s) => ({ id: s.id, started: s.startedAt, ended: s.endedAt })).sort(order);
        billed.sort(order);
        const unbroken = billed.every((s, i) => i === 0 || s.started === billed[i - 1].ended) && (billed.length === 0 || billed.at(-1)!.ended !== null);
        if (JSON.stringify(expected) !== JSON.stringify(billed) || !unbroken) gaps++;
      }
      return gaps;
    };
    const settled = async () => ({ ips: await ipDuplicates(), held: await held(), billing: await billingGaps() });
    const last = await waitFor(async () => {
      const now = await settled();
      if (now.ips === 0 && now.held.length === 0 && now.billing === 0) return now;
      await sleep(1000);
      return undefined;
    }, 60_000, 'network and billing to catch up').catch(settled);
    result = {
      created: instances.length,
      deleted: instances.filter((i) => i.status === 'DELETED').length,
      lost: accepted.filter((id) => !known.has(id)).length,
      duplicated: [...byName.values()].reduce((sum, n) => sum + n - 1, 0) + doubled[0].n,
      stuck: new Set([...stuckIds, ...last.held, ...instances.filter((i) => TRANSITIONAL.includes(i.status) || i.status !== 'DELETED').map((i) => i.id)]).size,
      billingGaps: last.billing,
      ipDuplicates: last.ips,
      ...counts,
    };
  } finally {
    await db.end();
  }
  if (failures.length) log(`requests failed:\n${failures.join('\n')}`);
  console.log(JSON.stringify(result));
  const bad = result.lost || result.duplicated || result.stuck || result.billingGaps || result.ipDuplicates || result.requestsFailed;
  process.exitCode = bad ? 1 : 0;
} catch (error) {
  log(`failed: ${(error as Error).stack}`);
  process.exitCode = 1;
} finally {
  await awan?.stop().catch(() => undefined);
  await postgres?.stop().catch(() => undefined);
  rmSync(postgresDir, { recursive: true, force: true });
}
process.exit(process.exitCode);
