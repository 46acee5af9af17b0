import { randomUUID } from 'node:crypto';
import { mkdtempSync, rmSync } from 'node:fs';
import os from 'node:os';
import path from 'node:path';
import { connect, type NatsConnection } from '@nats-io/transport-node';
import { agentSubject, AGENT_HEARTBEAT_SUBJECT, type AgentInstanceStatus, type HostHeartbeat, type InstanceSpec } from '#libs/contracts';
import type { ServiceClient } from '#libs/messaging';
import { connectServiceClient, describeWithHardware, runBuilt, TEST_NATS_URL, uniqueName, waitFor, type Fixture, type TestServiceClient } from '#libs/testing';
import { probeHost } from './host/host-probe.js';
import { processGone, runProgram } from './host/program.js';

const dataDir = mkdtempSync(path.join(os.tmpdir(), 'awan-agent-e2e-'));
const abilities = await probeHost(dataDir);
const canRun = abilities.kinds.includes('CONTAINER') && abilities.kinds.includes('VM') && process.getuid?.() === 0;

const hostId = uniqueName('host');

function startAgent(): Fixture {
  return runBuilt('dist/apps/host-agent/src/main.js', {
    NATS_URL: TEST_NATS_URL, PORT: '0', HOST_ID: hostId, AGENT_DATA_DIR: dataDir, HEARTBEAT_INTERVAL_MS: '300',
    // This test is about restarts: the fencing watchdog must not stop the instances meanwhile.
    FENCE_TIMEOUT_MS: '30000',
  });
}

describeWithHardware('host agent restarts', canRun ? null : `needs root, LXC and QEMU (${abilities.notes.join('; ') || 'not root'})`, () => {
  let caller: TestServiceClient;
  let client: ServiceClient;
  let nats: NatsConnection;
  let agent: Fixture;
  const heartbeats: HostHeartbeat[] = [];

  beforeAll(async () => {
    caller = await connectServiceClient('compute');
    client = caller.client;
    nats = await connect({ servers: TEST_NATS_URL });
    nats.subscribe(AGENT_HEARTBEAT_SUBJECT, {
      callback: (_error, message) => {
        const beat = message.json<HostHeartbeat>();
        if (beat.hostId === hostId) heartbeats.push(beat);
      },
    });
  });
  afterAll(async () => {
    agent?.child.kill('SIGKILL');
    await caller?.close();
    await nats?.close();
    rmSync(dataDir, { recursive: true, force: true });
  });

  const request = <T>(command: string, payload: unknown) => client.request<T>(agentSubject(hostId, command), payload, 60_000);

  async function heartbeatAfter(time: number): Promise<HostHeartbeat> {
    return waitFor(() => heartbeats.find((beat) => Date.parse(beat.sentAt) > time), 20_000, 'a heartbeat from the agent');
  }

  it('leaves instances running when the agent is killed with -9, and the restarted agent reports them as they are', async () => {
    const container: InstanceSpec = {
      instanceId: randomUUID(), name: 'ct-restart', kind: 'CONTAINER', vcpus: 1, memoryMb: 128, diskGb: 1,
      image: { kind: 'CONTAINER', location: 'dev:busybox-rootfs' }, // built by the agent on first use
    };
    const vm: InstanceSpec = {
      instanceId: randomUUID(), name: 'vm-restart', kind: 'VM', vcpus: 1, memoryMb: 128, diskGb: 1,
      image: { kind: 'VM', location: 'dev:blank-disk' },
    };

    agent = startAgent();
    const first = await heartbeatAfter(0);
    expect(first).toMatchObject({ hostId, regionId: 'local', kinds: expect.arrayContaining(['VM', 'CONTAINER']), instances: [] });
    expect(first.capacity.vcpus).toBe(os.cpus().length);

    expect(await request<AgentInstanceStatus>('instance.create', { spec: container, start: true })).toMatchObject({ state: 'RUNNING' });
    expect(await request<AgentInstanceStatus>('instance.create', { spec: vm, start: true })).toMatchObject({ state: 'RUNNING' });
    const qemuPid = Number((await runProgram('cat', [path.join(dataDir, 'run', vm.instanceId, 'qemu.pid')])).trim());

    agent.child.kill('SIGKILL');
    await agent.exited;
    expect((await runProgram('lxc-info', ['-P', path.join(dataDir, 'instances'), '-n', container.instanceId, '-s', '-H'])).trim()).toBe('RUNNING');
    expect(await processGone(qemuPid)).toBe(false);

    const restartedAt = Date.now();
    agent = startAgent();
    const beat = await heartbeatAfter(restartedAt);
    expect(beat.instances.map((i) => [i.instanceId, i.state]).sort()).toEqual(
      [[container.instanceId, 'RUNNING'], [vm.instanceId, 'RUNNING']].sort(),
    );
    expect(beat.allocated).toEqual({ vcpus: 2, memoryMb: 256, diskGb: 2 });
    expect(await request('instance.status', { instanceId: vm.instanceId })).toMatchObject({ state: 'RUNNING' });

    // The restarted agent still commands what the first one started.
    expect(await request('instance.stop', { instanceId: container.instanceId })).toMatchObject({ state: 'STOPPED' });
    expect(await request('instance.delete', { instanceId: container.instanceId })).toMatchObject({ state: 'MISSING' });
    expect(await request('instance.delete', { instanceId: vm.instanceId })).toMatchObject({ state: 'MISSING' });
    expect(await processGone(qemuPid)).toBe(true);
  });

  it('answers bad input with BAD_USER_INPUT naming the field, and an unknown instance with NOT_FOUND', async () => {
    agent ??= startAgent();
    await heartbeatAfter(0);
    await expect(request('instance.status', { instanceId: '../../etc/passwd' })).rejects.toMatchObject({ code: 'BAD_USER_INPUT', field: 'instanceId' });
    await expect(request('instance.start', { instanceId: randomUUID() })).rejects.toMatchObject({ code: 'NOT_FOUND' });
    await expect(
      request('instance.create', { spec: { instanceId: randomUUID(), name: 'x;reboot', kind: 'CONTAINER', vcpus: 1, memoryMb: 64, diskGb: 1, image: { kind: 'CONTAINER', location: '/x' } }, start: true }),
    ).rejects.toMatchObject({ code: 'BAD_USER_INPUT', field: 'spec.name' });
  });
});
