import { spawnSync } from 'node:child_process';
import { chmodSync, existsSync, mkdtempSync, readdirSync, readFileSync, rmSync, statSync } from 'node:fs';
import os from 'node:os';
import path from 'node:path';
import { jetstreamManager } from '@nats-io/jetstream';
import { connect } from '@nats-io/transport-node';
import pg from 'pg';
import { PLATFORM_SCOPE, type CreateInstanceInput, type Scope } from '#libs/contracts';
import { AWAN_SERVICES, connectServiceClient, freePortRange, keepDevBridgeAsFound, missingHardware, portIsOpen, startAwan, TEST_DATABASE_URL, TEST_NATS_URL, uniqueName, waitFor, type Launcher } from '#libs/testing';

const SERVICES = AWAN_SERVICES;
const containersMissing = missingHardware({ root: true, lxc: true });
const ADMIN_KEY = `awan_e2e_${uniqueName('admin_')}_0123456789`;
const bridgeExists = (name: string) => spawnSync('ip', ['link', 'show', 'dev', name]).status === 0;

async function graphql(port: number, query: string) {
  const response = await fetch(`http://127.0.0.1:${port}/graphql`, {
    method: 'POST',
    headers: { 'content-type': 'application/json', authorization: `Bearer ${ADMIN_KEY}` },
    body: JSON.stringify({ query }),
  });
  return response.json() as Promise<{ data?: Record<string, unknown>; errors?: unknown[] }>;
}

async function expectAllHealthy(base: number) {
  for (const [i, service] of SERVICES.entries()) {
    const response = await fetch(`http://127.0.0.1:${base + i}/health`);
    expect(response.status).toBe(200);
    const health = (await response.json()) as { checks: Record<string, string> };
    expect(health).toMatchObject({ service, status: 'ok', checks: { nats: 'up' } });
    if (service !== 'host-agent') expect(health.checks.postgres).toBe('up');
  }
  // The agents are asked in their own subjects, so compute must know this machine's: its first heartbeat.
  await waitFor(async () => {
    const { data } = await graphql(base, '{ hosts { status } }');
    return (data?.hosts as { status: string }[] | undefined)?.some((host) => host.status === 'UP');
  }, 30_000, "this machine's host to be UP");
  const { data } = await graphql(base, '{ services { service status } }');
  expect(data?.services).toEqual([
    { service: 'compute', status: 'ok' },
    { service: 'network', status: 'ok' },
    { service: 'billing', status: 'ok' },
    { service: 'host-agent', status: 'ok' },
  ]);
}

describe('one command runs Awan', () => {
  const { DATABASE_URL: _db, NATS_URL: _nats, ...cleanEnv } = process.env;
  /** Every Awan a test started: one a failed assertion left running is stopped, or Jest would wait on it for ever. */
  const started: Launcher[] = [];
  const start = async (env: NodeJS.ProcessEnv) => {
    const launcher = await startAwan(env);
    started.push(launcher);
    return launcher;
  };
  afterEach(async () => {
    for (const launcher of started.splice(0)) await launcher.stop();
  });

  it('with nothing configured: starts its own PostgreSQL and NATS beside the ones already running, keeps data across restarts, stops cleanly', async () => {
    const dataDir = mkdtempSync(path.join(os.tmpdir(), 'awan-e2e-'));
    chmodSync(dataDir, 0o755);
    const base = await freePortRange();
    const env = { ...cleanEnv, AWAN_DATA_DIR: dataDir, GATEWAY_PORT: String(base), AWAN_ADMIN_API_KEY: ADMIN_KEY };
    try {
      const first = await start(env);
      const databaseUrl = first.output().match(/PostgreSQL \(embedded\) at (\S+)/)?.[1];
      const natsUrl = first.output().match(/NATS with JetStream at (\S+)/)?.[1];
      expect(databaseUrl).toBeDefined();
      expect(natsUrl).toBeDefined();
      // The machine's own servers already answer on the standard ports: those are left alone.
      expect(new URL(databaseUrl!).port).not.toBe('5432');
      expect(new URL(natsUrl!).port).not.toBe('4222');
      await expectAllHealthy(base);
      // Its NATS lets no one in without credentials; they are made once, readable by this user only.
      await expect(connect({ servers: natsUrl!, reconnect: false })).rejects.toThrow(/Authorization Violation/);
      const authDir = path.join(dataDir, 'nats-auth');
      expect(statSync(authDir).mode & 0o777).toBe(0o700);
      const authFiles = readdirSync(authDir).sort();
      expect(authFiles).toEqual(expect.arrayContaining(['authority.json', 'billing.creds', 'compute.creds', 'gateway.creds', 'nats-server.conf', 'network.creds', 'system.creds']));
      expect(authFiles.filter((file) => /^host-.+\.creds$/.test(file))).toHaveLength(1);
      for (const file of authFiles) expect(statSync(path.join(authDir, file)).mode & 0o777).toBe(0o600);
      const keptAcrossRestarts = Object.fromEntries(authFiles.map((file) => [file, readFileSync(path.join(authDir, file), 'utf8')]));

      // Its NATS dies and loses its store (a new disk): started again, it is given every stream, consumer and event anew.
      expect(spawnSync('pkill', ['-KILL', '-f', `nats-server .*${dataDir}`]).status).toBe(0);
      rmSync(path.join(dataDir, 'nats', 'jetstream'), { recursive: true, force: true });
      await waitFor(() => first.output().includes(`NATS ${natsUrl} exited; starting it again`), 10_000, 'the supervisor to start NATS again');
      // Each process's connections (its own, its requests', its answers') find the server again one after another.
      const answering = async () => ((await graphql(base, '{ services { status } }')).data?.services as { status: string }[] | undefined)?.every((s) => s.status === 'ok');
      await waitFor(answering, 30_000, 'every service answering over NATS again');
      await expectAllHealthy(base);
      const { data: made } = await graphql(base, 'mutation { createAccount(input: { name: "After the loss", kind: CUSTOMER }) { account { id } } }');
      const accountId = (made?.createAccount as { account: { id: string } }).account.id;
      // Billing learns of the account from identity's event, through a stream and a consumer made again.
      await waitFor(async () => (await graphql(base, `{ upcomingInvoice(accountId: "${accountId}") { status } }`)).data?.upcomingInvoice, 30_000, 'billing to know the account');

      const db = new pg.Client({ connectionString: databaseUrl });
      await db.connect();
      const schemas = await db.query("SELECT schema_name FROM information_schema.schemata WHERE schema_name IN ('identity', 'compute', 'network', 'billing') ORDER BY 1");
      expect(schemas.rows.map((r) => r.schema_name)).toEqual(['billing', 'compute', 'identity', 'network']);
      await db.query('CREATE TABLE public.survives (note text)');
      await db.query("INSERT INTO public.survives VALUES ('still here')");
      await db.end();

      expect(await first.stop()).toBe(0);
      expect(first.output()).toContain('[awan] stopped');
      for (const [i] of SERVICES.entries()) expect(await portIsOpen(base + i)).toBe(false);
      expect(await portIsOpen(Number(new URL(databaseUrl!).port))).toBe(false);
      expect(await portIsOpen(Number(new URL(natsUrl!).port))).toBe(false);
      expect(spawnSync('pgrep', ['-f', dataDir]).status).toBe(1); // no process of this Awan is left

      const second = await start(env);
      const secondUrl = second.output().match(/PostgreSQL \(embedded\) at (\S+)/)![1];
      const again = new pg.Client({ connectionString: secondUrl });
      await again.connect();
      expect((await again.query('SELECT note FROM public.survives')).rows).toEqual([{ note: 'still here' }]);
      await again.end();
      // The same keys and credentials, which every service connected with again.
      for (const [file, content] of Object.entries(keptAcrossRestarts)) expect(readFileSync(path.join(dataDir, 'nats-auth', file), 'utf8')).toBe(content);
      await expectAllHealthy(base);
      expect(await second.stop()).toBe(0);
    } finally {
      spawnSync('pkill', ['-KILL', '-f', dataDir]);
      rmSync(dataDir, { recursive: true, force: true });
    }
  });

  it('with DATABASE_URL and NATS_URL set: uses those servers and starts neither', async () => {
    const database = uniqueName('awan_e2e_');
    const admin = new pg.Client({ connectionString: TEST_DATABASE_URL });
    await admin.connect();
    await admin.query(`CREATE DATABASE ${database}`);
    const dataDir = mkdtempSync(path.join(os.tmpdir(), 'awan-e2e-'));
    const base = await freePortRange();
    const databaseUrl = Object.assign(new URL(TEST_DATABASE_URL), { pathname: `/${database}` }).toString();
    const hostId = uniqueName('e2e-host-');
    const restoreDevBridge = keepDevBridgeAsFound();
    const bridgeBefore = bridgeExists('awanbr0');
    try {
      const awan = await start({
        ...cleanEnv,
        AWAN_DATA_DIR: dataDir,
        GATEWAY_PORT: String(base),
        DATABASE_URL: databaseUrl,
        NATS_URL: TEST_NATS_URL,
        HOST_ID: hostId,
        AWAN_ADMIN_API_KEY: ADMIN_KEY,
      });
      expect(awan.output()).not.toContain('PostgreSQL (embedded)');
      expect(awan.output()).not.toContain('NATS with JetStream at');
      expect(existsSync(path.join(dataDir, 'postgres'))).toBe(false);
      await expectAllHealthy(base);

      // This machine's host agent registers it with compute through its heartbeats.
      const caller = await connectServiceClient('e2e');
      const host = await waitFor(async () => {
        const hosts = await caller.client.call('compute.host.list', {});
        return hosts.find((h) => h.id === hostId);
      }, 30_000, 'this machine to register as a host');
      expect(host).toMatchObject({ status: 'UP', regionId: 'local', vcpus: os.cpus().length });
      if (containersMissing && process.env.CI === 'true') throw new Error(`the container part of the npm start test cannot run here (${containersMissing}), and CI=true does not allow it to be skipped`);
      if (!containersMissing) {
        // And runs a container on it, started the README's way, asking as an operator's tool does: for the whole platform.
        const platform: Scope = { accountIds: PLATFORM_SCOPE };
        const input: CreateInstanceInput = { name: uniqueName('quick-'), kind: 'CONTAINER', imageId: 'dev-busybox-rootfs', planId: 'ct-512m', regionId: 'local', billingCycle: 'HOURLY' };
        const { id } = await caller.client.call('compute.instance.create', { ...platform, accountId: 'e2e', input }, 30_000);
        const statusOf = async () => (await caller.client.call('compute.instance.get', { ...platform, id }, 30_000))?.status;
        await waitFor(async () => (await statusOf()) === 'RUNNING', 60_000, 'the container to run');
        // On the development pools' bridge, which the agent made, reachable from this machine.
        const ips = await caller.client.call('network.ip.list', { ...platform, instanceId: id });
        const v4 = ips.edges.find((e) => e.node.family === 'IPV4')!.node.address;
        expect(v4).toMatch(/^203\.0\.113\.(1[3-9][0-9]|2[0-5][0-9])$/); // the seeded pool, the range's upper half
        expect(spawnSync('ping', ['-c', '1', '-W', '5', v4]).status).toBe(0);
        await caller.client.call('compute.instance.delete', { ...platform, id }, 30_000);
        await waitFor(async () => (await statusOf()) === 'DELETED', 60_000, 'the container to be deleted');
      } else {
        console.warn(`skipping the container part of the npm start test: ${containersMissing}`);
      }
      await caller.close();

      expect(await awan.stop()).toBe(0);
      expect(await portIsOpen(Number(new URL(TEST_NATS_URL).port || 4222))).toBe(true); // not ours to stop
      // The bridge the agent made for the development pools went with it, as nothing was on it any more.
      if (!bridgeBefore) expect(bridgeExists('awanbr0')).toBe(false);
    } finally {
      await admin.query(`DROP DATABASE IF EXISTS ${database} WITH (FORCE)`);
      await admin.end();
      rmSync(dataDir, { recursive: true, force: true });
      const nats = await connect({ servers: TEST_NATS_URL });
      const jsm = await jetstreamManager(nats);
      for (const stream of ['IDENTITY', 'COMPUTE', 'NETWORK', 'BILLING']) await jsm.streams.delete(stream).catch(() => undefined);
      await nats.close();
      restoreDevBridge();
    }
  });

  it('refuses, at once and by name, a GATEWAY_PORT that is no port or whose range holds one fetch and browsers will not connect to', async () => {
    const dataDir = mkdtempSync(path.join(os.tmpdir(), 'awan-e2e-'));
    chmodSync(dataDir, 0o755);
    try {
      // 10076 to 10080: the last service would listen on 10080, which no health check or console could reach.
      const started = Date.now();
      await expect(start({ ...cleanEnv, AWAN_DATA_DIR: dataDir, GATEWAY_PORT: '10076', AWAN_ADMIN_API_KEY: ADMIN_KEY }))
        .rejects.toThrow(/port 10080 is one that browsers and fetch refuse to connect to: set GATEWAY_PORT/);
      expect(Date.now() - started).toBeLessThan(60_000); // not after the 90 s wait for its health
      for (const port of ['4000x', '65535']) {
        await expect(start({ ...cleanEnv, AWAN_DATA_DIR: dataDir, GATEWAY_PORT: port, AWAN_ADMIN_API_KEY: ADMIN_KEY })).rejects.toThrow(`GATEWAY_PORT must be the first of 5 ports, 1 to 65531, got "${port}"`);
      }
    } finally {
      spawnSync('pkill', ['-KILL', '-f', dataDir]);
      rmSync(dataDir, { recursive: true, force: true });
    }
  });
});
