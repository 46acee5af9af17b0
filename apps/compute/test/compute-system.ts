import { mkdtempSync, rmSync } from 'node:fs';
import os from 'node:os';
import path from 'node:path';
import { jetstreamManager } from '@nats-io/jetstream';
import { connect } from '@nats-io/transport-node';
import { PLATFORM_SCOPE, type InstanceStatus, type InstanceView, type ReplyOf, type RequestOf, type Scope } from '#libs/contracts';
import type { ServiceClient } from '#libs/messaging';
import { connectServiceClient, createServiceDatabase, removeHostTables, runBuilt, runCommand, SimulatedHost, TEST_NATS_URL, uniqueName, waitFor, type Fixture } from '#libs/testing';
import { containerPid, fenceWatchdogPid, instanceIds, instancesHeldBy, ownerOf, qemuPid } from './agent-files.js';

/** The scope of an operator's request: every account's instances, as ADMIN's tools ask. */
export const PLATFORM = { accountIds: PLATFORM_SCOPE } as const;

export type InstanceOperation = 'create' | 'get' | 'list' | 'history' | 'start' | 'stop' | 'reboot' | 'resize' | 'delete' | 'migrate';
type InstanceSubject<O extends InstanceOperation> = `compute.instance.${O}`;
/** What `compute.instance.<operation>` takes, its scope PLATFORM unless the payload names another. */
export type InstancePayload<O extends InstanceOperation> = Omit<RequestOf<InstanceSubject<O>>, 'accountIds'> & Partial<Scope>;

/** `compute.instance.<operation>`, as the platform's operator asks it, or in the scope the payload names. */
export function requestInstance<O extends InstanceOperation>(
  client: ServiceClient, operation: O, payload: InstancePayload<O>, timeoutMs = 30_000,
): Promise<ReplyOf<InstanceSubject<O>>> {
  return client.call(`compute.instance.${operation}`, { ...PLATFORM, ...payload } as RequestOf<InstanceSubject<O>>, timeoutMs);
}

/**
 * Real compute and network services and a real host agent for this machine, as built processes,
 * on a database of their own and the test NATS. The region `local` has the test's own pools, on
 * a bridge the test names and removes. More hosts' agents share the first one's instance
 * storage, as the hosts of a region share a storage path. Whole-system tests and the provision benchmark run on it;
 * they run one at a time, because every system shares the COMPUTE and NETWORK streams' consumers.
 */
export interface ComputeSystem {
  client: ServiceClient;
  /** The database compute and network share, each in its schema. */
  databaseUrl: string;
  hostId: string;
  agentDataDir: string;
  /** The bridge of the test's pools: 198.51.100.0/25 and 2001:db8:51::/64, gateways .1 and ::1. */
  bridge: string;
  compute: Fixture;
  network: Fixture;
  agent: Fixture;
  /** Every host agent started, by host id: the first one's, and those of other hosts. */
  agents: Map<string, { fixture: Fixture; dataDir: string }>;
  /** In place of the agent, where the system was started with a simulated host. */
  simulatedHost: SimulatedHost | null;
  startCompute(): Promise<void>;
  startNetwork(): Promise<void>;
  startAgent(): Promise<void>;
  /** Another host of the region on this machine, sharing the first agent's instance storage. */
  startOtherAgent(hostId: string, dataDir?: string): Promise<Fixture>;
  /** kill -9, and wait until the process is gone. */
  kill(which: 'compute' | 'network' | 'agent'): Promise<void>;
  /** A host lost outright: kill -9 of its agent, its fencing watchdog and the processes of the instances it runs. */
  killHost(hostId: string): Promise<void>;
  /** `compute.instance.<operation>` (requestInstance) on this system. */
  instance<O extends InstanceOperation>(operation: O, payload: InstancePayload<O>): Promise<ReplyOf<InstanceSubject<O>>>;
  get(id: string): Promise<InstanceView>;
  waitForStatus(id: string, statuses: InstanceStatus[], timeoutMs?: number): Promise<InstanceView>;
  close(): Promise<void>;
}

/**
 * `host: 'simulated'` runs a SimulatedHost in place of this machine's agent: compute's side of
 * everything (placement, states, tenancy, input) on any machine, with no hypervisor.
 */
export async function startComputeSystem(env: Record<string, string> = {}, options: { host?: 'agent' | 'simulated' } = {}): Promise<ComputeSystem> {
  const database = await createServiceDatabase('awan_compute_');
  const databaseUrl = database.url;
  // Another run's events would reach this system's consumers: start from empty streams.
  const nats = await connect({ servers: TEST_NATS_URL });
  const jsm = await jetstreamManager(nats);
  for (const stream of ['COMPUTE', 'NETWORK']) await jsm.streams.delete(stream).catch(() => undefined);
  await nats.close();
  const bridge = uniqueName('awbr');

  const hostId = uniqueName('host-');
  // Short: QMP socket paths must stay under 108 characters.
  const agentDataDir = mkdtempSync(path.join(os.tmpdir(), 'awan-ca-'));
  const caller = await connectServiceClient('compute-test');
  const common = { NATS_URL: TEST_NATS_URL, PORT: '0', ...env };

  const system: ComputeSystem = {
    client: caller.client,
    databaseUrl,
    hostId,
    agentDataDir,
    bridge,
    compute: undefined as unknown as Fixture,
    network: undefined as unknown as Fixture,
    agent: undefined as unknown as Fixture,
    agents: new Map(),
    simulatedHost: null,
    async startCompute() {
      system.compute = runBuilt('dist/apps/compute/src/main.js', { ...common, DATABASE_URL: databaseUrl });
      await waitFor(() => system.client.call('compute.health', {}, 1000).then(() => true, () => false), 30_000, `compute to answer\n${system.compute.output()}`);
    },
    async startNetwork() {
      system.network = runBuilt('dist/apps/network/src/main.js', { ...common, DATABASE_URL: databaseUrl });
      await waitFor(() => system.client.call('network.health', {}, 1000).then(() => true, () => false), 30_000, `network to answer\n${system.network.output()}`);
    },
    async startAgent() {
      system.agent = await launchAgent(hostId, agentDataDir);
    },
    startOtherAgent(otherHostId, dataDir = mkdtempSync(path.join(os.tmpdir(), 'awan-ca-'))) {
      return launchAgent(otherHostId, dataDir);
    },
    async kill(which) {
      const fixture = system[which];
      fixture.child.kill('SIGKILL');
      await fixture.exited;
    },
    async killHost(lostHostId) {
      const { fixture, dataDir } = system.agents.get(lostHostId)!;
      const pids = [fixture.child.pid!, await fenceWatchdogPid(dataDir)];
      for (const { instanceId, kind } of await instancesHeldBy(agentDataDir, lostHostId)) {
        pids.push(kind === 'VM' ? await qemuPid(dataDir, instanceId) : await containerPid(agentDataDir, instanceId));
      }
      for (const pid of pids) if (pid) process.kill(pid, 'SIGKILL');
      await fixture.exited;
    },
    instance(operation, payload) {
      return requestInstance(system.client, operation, payload);
    },
    async get(id) {
      const instance = await system.instance('get', { id });
      if (!instance) throw new Error(`instance ${id} not found`);
      return instance;
    },
    async waitForStatus(id, statuses, timeoutMs = 60_000) {
      let last: InstanceView | undefined;
      return waitFor(async () => {
        last = await system.get(id);
        return statuses.includes(last.status) ? last : undefined;
      }, timeoutMs, `instance ${id} to be ${statuses.join(' or ')} (last seen ${JSON.stringify(last)})\n${system.compute.output().slice(-3000)}`);
    },
    async close() {
      // Whatever a failed test left on the hosts goes, through the agent holding it (instances outlive agents).
      for (const instanceId of await instanceIds(agentDataDir)) {
        const owner = (await ownerOf(agentDataDir, instanceId)) ?? hostId;
        await system.client.callAgent(owner, 'instance.delete', { instanceId }, 60_000).catch(() => undefined);
      }
      await system.simulatedHost?.stop();
      for (const fixture of [system.compute, system.network, ...[...system.agents.values()].map((a) => a.fixture)]) {
        if (fixture && fixture.child.exitCode === null && fixture.child.signalCode === null) {
          fixture.child.kill('SIGTERM');
          await fixture.exited;
        }
      }
      await caller.close();
      await database.drop();
      // A host killed by its test (killHost) kept its tables; the others' went with their last instance.
      for (const agentHostId of system.agents.keys()) removeHostTables(agentHostId);
      await runCommand('ip', ['link', 'delete', 'dev', bridge]).catch(() => undefined);
      // Its own data folder as well where no agent ran (a simulated host).
      for (const dataDir of new Set([agentDataDir, ...[...system.agents.values()].map((a) => a.dataDir)])) rmSync(dataDir, { recursive: true, force: true });
    },
  };

  async function launchAgent(agentHostId: string, dataDir: string): Promise<Fixture> {
    const fixture = runBuilt('dist/apps/host-agent/src/main.js', {
      HEARTBEAT_INTERVAL_MS: '300', ...common, HOST_ID: agentHostId, AGENT_DATA_DIR: dataDir, AGENT_STORAGE_DIR: agentDataDir,
    });
    system.agents.set(agentHostId, { fixture, dataDir });
    await hostUp(agentHostId, () => fixture.output());
    return fixture;
  }

  function hostUp(upHostId: string, output: () => string): Promise<boolean> {
    return waitFor(async () => {
      const hosts = await system.client.call('compute.host.list', {}).catch(() => []);
      return hosts.some((h) => h.id === upHostId && h.status === 'UP');
    }, 30_000, `host ${upHostId} to be UP in compute\n${output()}`);
  }
  await system.startNetwork();
  // Before the pools: network asks compute about the region's hosts (none yet) before it makes one.
  await system.startCompute();
  // The seeded development pools make way for the test's own, on its own bridge.
  for (const id of ['local-ipv4', 'local-ipv6']) await system.client.call('network.pool.retire', { id });
  await system.client.call('network.pool.create', { input: { id: 'test-ipv4', regionId: 'local', prefix: '198.51.100.0/25', gateway: '198.51.100.1', bridge } });
  await system.client.call('network.pool.create', { input: { id: 'test-ipv6', regionId: 'local', prefix: '2001:db8:51::/64', gateway: '2001:db8:51::1', bridge } });
  if (options.host === 'simulated') {
    system.simulatedHost = await SimulatedHost.start({ hostId, natsUrl: TEST_NATS_URL, heartbeatIntervalMs: 300 });
    await hostUp(hostId, () => system.compute.output());
  } else {
    await system.startAgent();
  }
  return system;
}
