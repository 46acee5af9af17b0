import { spawnSync } from 'node:child_process';
import { mkdtempSync, rmSync } from 'node:fs';
import os from 'node:os';
import path from 'node:path';
import { setTimeout as sleep } from 'node:timers/promises';
import { NestFactory } from '@nestjs/core';
import { MessagingModule, ServiceClient } from '#libs/messaging';
import { describeWithHardware, freePortRange, GraphqlClient, type Launcher, missingHardware, serviceLines, startAwan, uniqueName, waitFor } from '#libs/testing';
import { startEmbeddedPostgres, startNatsServer, type EmbeddedServer } from './embedded-servers.js';


const ADMIN_KEY = `awan_e2e_${uniqueName('admin_')}_0123456789`;
// The test bridges share 198.51.100.0/24 without overlapping (compute's and bench:gateway's /25 below,
// the agent's .192/26 above): this one takes 198.51.100.128/26. 192.0.2.0/24 and 203.0.113.0/25 may be
// this machine's own networks, and the seeded pools have 203.0.113.128/25.
const POOLS = [
  { id: 'restarts-ipv4', prefix: '198.51.100.128/26', gateway: '198.51.100.129' },
  { id: 'restarts-ipv6', prefix: '2001:db8:7e57::/64', gateway: '2001:db8:7e57::1' },
];
const OUR_IPV4 = /^198\.51\.100\.(1[3-9]\d|2[0-5]\d)$/;

interface Instance {
  id: string;
  status: string;
  ipAddresses: { address: string; family: string }[];
}
const INSTANCE_FIELDS = 'id status ipAddresses { address family }';

/**
 * The supervisor's word for each service process that ended (it starts it again; none may need
 * that), and the last lines each such service printed, which say why.
 */
function serviceExits(awan: Launcher): string[] {
  const exits = awan.output().match(/^\[awan\] \S+ exited \(.*$/gm) ?? [];
  const services = new Set(exits.map((exit) => exit.split(' ')[1]));
  return exits.length === 0 ? [] : [...exits, ...[...services].flatMap((service) => serviceLines(awan, service, 40))];
}

/**
 * The whole system (`npm start`'s launcher) on a PostgreSQL and a nats-server of the test's own,
 * the latter restarted under the running services: none of them may need a restart to carry on.
 * PostgreSQL's restart and failover need no hypervisor: postgres-failover.e2e-spec.ts.
 */
describeWithHardware('Awan across restarts of NATS', missingHardware({ root: true, lxc: true }), () => {
  let dataDir: string;
  let postgres: EmbeddedServer;
  let nats: EmbeddedServer;
  let awan: Launcher;
  let base: number;
  let admin: GraphqlClient;
  const serverLog = () => undefined; // PostgreSQL's and NATS's own chatter is not this test's
  const bridge = uniqueName('awrs'); // 14 characters, under Linux's 15
  const hostId = uniqueName('restarts-');
  const instances: { client: GraphqlClient; id: string }[] = [];

  beforeAll(async () => {
    dataDir = mkdtempSync(path.join(os.tmpdir(), 'awan-restarts-'));
    postgres = await startEmbeddedPostgres(path.join(dataDir, 'postgres'), serverLog, null);
    nats = await startNatsServer(path.join(dataDir, 'nats'), serverLog, null);
    base = await freePortRange();
    awan = await startAwan({
      ...process.env, AWAN_DATA_DIR: dataDir, AGENT_DATA_DIR: path.join(dataDir, 'agent'), GATEWAY_PORT: String(base),
      DATABASE_URL: postgres.url, NATS_URL: nats.url, HOST_ID: hostId, AWAN_ADMIN_API_KEY: ADMIN_KEY, STOP_TIMEOUT_MS: '5000',
    });
    admin = new GraphqlClient(`http://127.0.0.1:${base}/graphql`, ADMIN_KEY);
    await usePoolsOfOurOwn();
    await waitFor(async () => (await admin.data<{ hosts: { id: string; status: string }[] }>('{ hosts { id status } }')).hosts.some((h) => h.id === hostId && h.status === 'UP'), 60_000, 'this machine to be an UP host');
  }, 240_000);

  afterAll(async () => {
    await Promise.all(instances.map(({ client, id }) => client.data(`mutation { deleteInstance(id: "${id}") { id } }`).then(() => waitForStatus(client, id, 'DELETED')).catch(() => undefined)));
    await awan?.stop();
    await nats?.stop();
    await postgres?.stop();
    spawnSync('ip', ['link', 'delete', 'dev', bridge]);
    rmSync(dataDir, { recursive: true, force: true });
  }, 180_000);

  /** The seeded development pools (bridge awanbr0, shared with other tests) make way for pools on a bridge of this run's own. */
  async function usePoolsOfOurOwn() {
    const context = await NestFactory.createApplicationContext(MessagingModule.forRoot({ service: 'restarts-test', natsUrl: nats.url }), { logger: false });
    try {
      const client = context.get(ServiceClient);
      for (const id of ['local-ipv4', 'local-ipv6']) await client.call('network.pool.retire', { id });
      for (const pool of POOLS) await client.call('network.pool.create', { input: { ...pool, regionId: 'local', bridge } });
    } finally {
      await context.close();
    }
  }

  async function newCustomer(name: string): Promise<GraphqlClient> {
    const { createAccount } = await admin.data(`mutation { createAccount(input: { name: "${name}", kind: CUSTOMER }) { apiKey { secret } } }`);
    return admin.as(createAccount.apiKey.secret);
  }

  async function createContainer(client: GraphqlClient): Promise<Instance> {
    const input = `{ name: "${uniqueName('ct-')}", kind: CONTAINER, imageId: "dev-busybox-rootfs", planId: "ct-512m", regionId: "local", billingCycle: HOURLY }`;
    const { createInstance } = await client.data<{ createInstance: Instance }>(`mutation { createInstance(input: ${input}) { ${INSTANCE_FIELDS} } }`);
    instances.push({ client, id: createInstance.id });
    return createInstance;
  }

  /** Requests failing while a server is down count as "not yet". */
  const waitForStatus = (client: GraphqlClient, id: string, status: string) =>
    waitFor(async () => {
      const { instance } = await client.data<{ instance: Instance }>(`{ instance(id: "${id}") { ${INSTANCE_FIELDS} } }`).catch(() => ({ instance: undefined }));
      if (instance?.status === 'ERROR') throw new Error(`instance ${id} failed`);
      return instance?.status === status ? instance : undefined;
    }, 120_000, `instance ${id} to be ${status}`);

  /** Stops a server, leaves it down for `downMs`, and starts it again on the same port and data. */
  async function restart(server: EmbeddedServer, downMs: number, start: (port: number) => Promise<EmbeddedServer>): Promise<EmbeddedServer> {
    await server.stop();
    await sleep(downMs);
    const restarted = await start(Number(new URL(server.url).port));
    expect(restarted.url).toBe(server.url);
    return restarted;
  }

  it('NATS restarted while a container is being created: the create completes, and no step of it ran twice', async () => {
    const customer = await newCustomer('Across a NATS restart');
    // The create must still be under way when NATS stops. Its answer comes before the host has made the
    // container, but on a busy machine it once reached the test after the container had started: such a
    // create is asked again, up to three times in all.
    let attempt = 1;
    for (; ; attempt++) {
      const created = await createContainer(customer);
      expect(['PENDING', 'PROVISIONING']).toContain(created.status);

      const stoppedAt = Date.now();
      // Down for a second, well under the host agent's fencing timeout.
      nats = await restart(nats, 1000, (port) => startNatsServer(path.join(dataDir, 'nats'), serverLog, port));

      const running = await waitForStatus(customer, created.id, 'RUNNING');
      expect(running.ipAddresses.map((ip) => ip.family).sort()).toEqual(['IPV4', 'IPV6']);
      expect(running.ipAddresses.find((ip) => ip.family === 'IPV4')!.address).toMatch(OUR_IPV4);
      const { instance } = await customer.data(`{ instance(id: "${created.id}") { history(first: 50) { edges { node { type occurredAt } } } } }`);
      const history: { type: string; occurredAt: string }[] = instance.history.edges.map((e: { node: unknown }) => e.node);
      const types = history.map((event) => event.type);
      expect(types).toEqual([...new Set(types)]); // each step of the create recorded once
      const inFlight = Date.parse(history.find((event) => event.type === 'InstanceStarted')!.occurredAt) > stoppedAt;
      if (!inFlight && attempt < 3) continue;
      expect({ attempt, inFlight }).toMatchObject({ inFlight: true });
      break;
    }
    const { ipAddresses } = await customer.data('{ ipAddresses { edges { node { address family } } } }');
    // Each create's two addresses, none more.
    expect(ipAddresses.edges.map((e: { node: { family: string } }) => e.node.family).sort()).toEqual([...Array(attempt).fill('IPV4'), ...Array(attempt).fill('IPV6')]);
    expect(serviceExits(awan)).toEqual([]);
  }, 180_000);
});
