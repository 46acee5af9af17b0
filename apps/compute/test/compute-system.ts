import { existsSync, mkdtempSync, readdirSync, rmSync } from 'node:fs';
import os from 'node:os';
import path from 'node:path';
import { jetstreamManager } from '@nats-io/jetstream';
import { connect } from '@nats-io/transport-node';
import { agentSubject } from '#libs/contracts';
import type { ServiceClient } from '#libs/messaging';
import { connectServiceClient, createServiceDatabase, runBuilt, TEST_NATS_URL, uniqueName, waitFor, type Fixture } from '#libs/testing';
import type { InstanceView } from '../src/instances/instances.js';
import type { InstanceStatus } from '../src/instances/instance.decider.js';

/**
 * A real compute service and a real host agent for this machine, as built processes, on a
 * database of their own and the test NATS. Whole-system tests and the provision benchmark run
 * on it; they run one at a time, because every compute shares the COMPUTE stream's consumer.
 */
export interface ComputeSystem {
  client: ServiceClient;
  hostId: string;
  agentDataDir: string;
  compute: Fixture;
  agent: Fixture;
  startCompute(): Promise<void>;
  startAgent(): Promise<void>;
  /** kill -9, and wait until the process is gone. */
  kill(which: 'compute' | 'agent'): Promise<void>;
  get(id: string): Promise<InstanceView>;
  waitForStatus(id: string, statuses: InstanceStatus[], timeoutMs?: number): Promise<InstanceView>;
  close(): Promise<void>;
}

export async function startComputeSystem(env: Record<string, string> = {}): Promise<ComputeSystem> {
  const database = await createServiceDatabase('awan_compute_');
  const databaseUrl = database.url;
  // Another run's events would reach this compute's consumer: start from an empty stream.
  const nats = await connect({ servers: TEST_NATS_URL });
  await (await jetstreamManager(nats)).streams.delete('COMPUTE').catch(() => undefined);
  await nats.close();

  const hostId = uniqueName('host-');
  // Short: QMP socket paths must stay under 108 characters.
  const agentDataDir = mkdtempSync(path.join(os.tmpdir(), 'awan-ca-'));
  const caller = await connectServiceClient('compute-test');
  const common = { NATS_URL: TEST_NATS_URL, PORT: '0', ...env };

  const system: ComputeSystem = {
    client: caller.client,
    hostId,
    agentDataDir,
    compute: undefined as unknown as Fixture,
    agent: undefined as unknown as Fixture,
    async startCompute() {
      system.compute = runBuilt('dist/apps/compute/src/main.js', { ...common, DATABASE_URL: databaseUrl });
      await waitFor(() => system.client.request('compute.health', {}, 1000).then(() => true, () => false), 30_000, `compute to answer\n${system.compute.output()}`);
    },
    async startAgent() {
      system.agent = runBuilt('dist/apps/host-agent/src/main.js', {
        ...common, HOST_ID: hostId, AGENT_DATA_DIR: agentDataDir, HEARTBEAT_INTERVAL_MS: '300',
      });
      await waitFor(async () => {
        const hosts = await system.client.request<{ id: string; status: string }[]>('compute.host.list', {}).catch(() => []);
        return hosts.some((h) => h.id === hostId && h.status === 'UP');
      }, 30_000, `host ${hostId} to be UP in compute\n${system.agent.output()}`);
    },
    async kill(which) {
      const fixture = system[which];
      fixture.child.kill('SIGKILL');
      await fixture.exited;
    },
    async get(id) {
      return system.client.request<InstanceView>('compute.instance.get', { id });
    },
    async waitForStatus(id, statuses, timeoutMs = 60_000) {
      let last: InstanceView | undefined;
      return waitFor(async () => {
        last = await system.get(id);
        return statuses.includes(last.status) ? last : undefined;
      }, timeoutMs, `instance ${id} to be ${statuses.join(' or ')} (last seen ${JSON.stringify(last)})\n${system.compute.output().slice(-3000)}`);
    },
    async close() {
      // Whatever a failed test left on the host goes, through the agent (instances outlive it).
      if (system.agent?.child.exitCode === null && system.agent.child.signalCode === null && existsSync(path.join(agentDataDir, 'instances'))) {
        for (const instanceId of readdirSync(path.join(agentDataDir, 'instances'), { withFileTypes: true }).filter((e) => e.isDirectory())) {
          await system.client.request(agentSubject(hostId, 'instance.delete'), { instanceId: instanceId.name }, 60_000).catch(() => undefined);
        }
      }
      for (const fixture of [system.compute, system.agent]) {
        if (fixture && fixture.child.exitCode === null && fixture.child.signalCode === null) {
          fixture.child.kill('SIGTERM');
          await fixture.exited;
        }
      }
      await caller.close();
      await database.drop();
      rmSync(agentDataDir, { recursive: true, force: true });
    },
  };
  await system.startCompute();
  await system.startAgent();
  return system;
}
