import { randomUUID } from 'node:crypto';
import { closeSync, constants, mkdirSync, mkdtempSync, openSync, rmSync } from 'node:fs';
import os from 'node:os';
import path from 'node:path';
import { connect, type NatsConnection } from '@nats-io/transport-node';
import { AGENT_HEARTBEATS_SUBJECT, type AgentCommand, type AgentRequestOf, type HostHeartbeat, type InstanceSpec } from '#libs/contracts';
import type { ServiceClient } from '#libs/messaging';
import { connectServiceClient, describeWithHardware, runBuilt, TEST_NATS_URL, uniqueName, waitFor, type Fixture, type TestServiceClient } from '#libs/testing';
import { probeHost } from './host/host-probe.js';
import { processGone, runProgram } from './host/program.js';

const dataDir = mkdtempSync(path.join(os.tmpdir(), 'awan-agent-e2e-'));
const abilities = await probeHost(dataDir);
const canRun = abilities.kinds.includes('CONTAINER') && abilities.kinds.includes('VM') && process.getuid?.() === 0;

const hostId = uniqueName('host');

function startAgent(host = hostId, dir = dataDir, fenceTimeoutMs = 30_000): Fixture {
  return runBuilt('dist/apps/host-agent/src/main.js', {
    NATS_URL: TEST_NATS_URL, PORT: '0', HOST_ID: host, AGENT_DATA_DIR: dir, HEARTBEAT_INTERVAL_MS: '300',
    // Long by default: a test about restarts must not see the fencing watchdog stop its instances meanwhile.
    FENCE_TIMEOUT_MS: String(fenceTimeoutMs),
  });
}

const lxcState = async (dir: string, instanceId: string) => (await runProgram('lxc-info', ['-P', path.join(dir, 'instances'), '-n', instanceId, '-s', '-H'])).trim();

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
    nats.subscribe(AGENT_HEARTBEATS_SUBJECT, {
      callback: (_error, message) => {
        heartbeats.push(message.json<HostHeartbeat>());
      },
    });
  });
  afterAll(async () => {
    // Stopped, not killed: with nothing left running it stops its fencing watchdog too, which would otherwise outlive the test.
    agent?.child.kill('SIGTERM');
    await agent?.exited;
    await caller?.close();
    await nats?.close();
    rmSync(dataDir, { recursive: true, force: true });
  });

  const call = <C extends AgentCommand>(command: C, payload: AgentRequestOf<C>, host = hostId) => client.callAgent(host, command, payload, 60_000);

  async function heartbeatAfter(time: number, host = hostId): Promise<HostHeartbeat> {
    return waitFor(() => heartbeats.find((beat) => beat.hostId === host && Date.parse(beat.sentAt) > time), 20_000, `a heartbeat from ${host}`);
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

    expect(await call('instance.create', { spec: container, start: true })).toMatchObject({ state: 'RUNNING' });
    expect(await call('instance.create', { spec: vm, start: true })).toMatchObject({ state: 'RUNNING' });
    const qemuPid = Number((await runProgram('cat', [path.join(dataDir, 'run', vm.instanceId, 'qemu.pid')])).trim());

    agent.child.kill('SIGKILL');
    await agent.exited;
    expect(await lxcState(dataDir, container.instanceId)).toBe('RUNNING');
    expect(await processGone(qemuPid)).toBe(false);

    const restartedAt = Date.now();
    agent = startAgent();
    const beat = await heartbeatAfter(restartedAt);
    expect(beat.instances.map((i) => [i.instanceId, i.state]).sort()).toEqual(
      [[container.instanceId, 'RUNNING'], [vm.instanceId, 'RUNNING']].sort(),
    );
    expect(beat.allocated).toEqual({ vcpus: 2, memoryMb: 256, diskGb: 2 });
    expect(await call('instance.status', { instanceId: vm.instanceId })).toMatchObject({ state: 'RUNNING' });

    // The restarted agent still commands what the first one started.
    expect(await call('instance.stop', { instanceId: container.instanceId })).toMatchObject({ state: 'STOPPED' });
    expect(await call('instance.delete', { instanceId: container.instanceId })).toMatchObject({ state: 'MISSING' });
    expect(await call('instance.delete', { instanceId: vm.instanceId })).toMatchObject({ state: 'MISSING' });
    expect(await processGone(qemuPid)).toBe(true);
  });

  it('answers bad input with BAD_USER_INPUT naming the field, and an unknown instance with NOT_FOUND', async () => {
    agent ??= startAgent();
    await heartbeatAfter(0);
    await expect(call('instance.status', { instanceId: '../../etc/passwd' })).rejects.toMatchObject({ code: 'BAD_USER_INPUT', field: 'instanceId' });
    await expect(call('instance.start', { instanceId: randomUUID() })).rejects.toMatchObject({ code: 'NOT_FOUND' });
    // A stop's wait for its guest holds the instance's other commands: never one without a bound.
    for (const timeoutMs of ['30000', -1, 1.5, 3_600_000]) {
      await expect(call('instance.stop', { instanceId: randomUUID(), timeoutMs: timeoutMs as number })).rejects.toMatchObject({ code: 'BAD_USER_INPUT', field: 'timeoutMs' });
    }
    await expect(
      call('instance.create', { spec: { instanceId: randomUUID(), name: 'x;reboot', kind: 'CONTAINER', vcpus: 1, memoryMb: 64, diskGb: 1, image: { kind: 'CONTAINER', location: '/x' } }, start: true }),
    ).rejects.toMatchObject({ code: 'BAD_USER_INPUT', field: 'spec.name' });
  });

  /** An agent of a host of its own whose watchdog fences after 2 s, running a container; `stop` ends it (thawed first) and removes its folder. */
  async function agentWithContainer(prefix: string) {
    const host = uniqueName(prefix);
    const dir = mkdtempSync(path.join(os.tmpdir(), `awan-agent-${prefix}-`));
    const fixture = startAgent(host, dir, 2000);
    const stop = async () => {
      fixture.child.kill('SIGCONT');
      fixture.child.kill('SIGTERM');
      await fixture.exited;
      rmSync(dir, { recursive: true, force: true });
    };
    try {
      await heartbeatAfter(0, host);
      const container: InstanceSpec = {
        instanceId: randomUUID(), name: `ct-${prefix}`, kind: 'CONTAINER', vcpus: 1, memoryMb: 128, diskGb: 1,
        image: { kind: 'CONTAINER', location: 'dev:busybox-rootfs' },
      };
      expect(await call('instance.create', { spec: container, start: true }, host)).toMatchObject({ state: 'RUNNING' });
      return { host, dir, fixture, container, stop };
    } catch (error) {
      await stop();
      throw error;
    }
  }

  it('stops its instances itself once frozen longer than FENCE_TIMEOUT_MS, and says so when it thaws', async () => {
    const { host: fencedHost, dir: fencedDir, fixture: fencing, container, stop } = await agentWithContainer('fence');
    try {
      // Frozen, the agent tells its watchdog nothing: the watchdog, with the agent's configuration, stops the container.
      fencing.child.kill('SIGSTOP');
      const frozenAt = Date.now();
      await waitFor(async () => (await lxcState(fencedDir, container.instanceId)) === 'STOPPED', 15_000, 'the watchdog to fence the container');
      expect(Date.now() - frozenAt).toBeGreaterThanOrEqual(2000 - 300);

      fencing.child.kill('SIGCONT');
      const thawed = await heartbeatAfter(Date.now(), fencedHost);
      expect(thawed.instances).toEqual([expect.objectContaining({ instanceId: container.instanceId, state: 'STOPPED', fenced: true })]);
      expect(await call('instance.delete', { instanceId: container.instanceId }, fencedHost)).toMatchObject({ state: 'MISSING' });
    } finally {
      await stop();
    }
  });

  it('stops its instances itself once its heartbeats stop though NATS answers: a look at its instances hung on the storage', async () => {
    const { host: fencedHost, dir: fencedDir, container, stop } = await agentWithContainer('stuck');
    // A folder whose owner file is a FIFO no one writes: reading it waits, as a read on a share cut off does.
    const hung = path.join(fencedDir, 'instances', randomUUID());
    const release = () => {
      try {
        closeSync(openSync(path.join(hung, 'owner'), constants.O_WRONLY | constants.O_NONBLOCK));
      } catch {
        // no one reads it (any more)
      }
    };
    try {
      // Compute would judge the host DOWN from its silence and start the container elsewhere: it must not run on here.
      mkdirSync(hung);
      await runProgram('mkfifo', [path.join(hung, 'owner')]);
      const stuckAt = Date.now();
      await waitFor(async () => (await lxcState(fencedDir, container.instanceId)) === 'STOPPED', 15_000, 'the watchdog to fence the container');
      expect(heartbeats.filter((beat) => beat.hostId === fencedHost && Date.parse(beat.sentAt) > stuckAt + 300)).toEqual([]);

      // The storage answers again: the agent's heartbeat says the container was fenced.
      release();
      rmSync(hung, { recursive: true, force: true });
      const back = await heartbeatAfter(Date.now(), fencedHost);
      expect(back.instances).toEqual([expect.objectContaining({ instanceId: container.instanceId, state: 'STOPPED', fenced: true })]);
      expect(await call('instance.delete', { instanceId: container.instanceId }, fencedHost)).toMatchObject({ state: 'MISSING' });
    } finally {
      release();
      await stop();
    }
  });
});
