import { once } from 'node:events';
import net from 'node:net';
import { AGENT_HEARTBEATS_SUBJECT, type CreateInstanceInput, type HostHeartbeat, type InstanceView } from '#libs/contracts';
import { connectTestNats, describeWithHardware, missingHardware, runCommand, uniqueName, waitFor, type TestNats } from '#libs/testing';
import { instancesDir, processGone, qemuPid, qmpSocket } from '../../test/agent-files.js';
import { PLATFORM, startComputeSystem, type ComputeSystem } from '../../test/compute-system.js';

const container = (name: string): CreateInstanceInput => ({
  name, kind: 'CONTAINER', imageId: 'dev-busybox-rootfs', planId: 'ct-512m', regionId: 'local', billingCycle: 'HOURLY',
});
const vm = (name: string): CreateInstanceInput => ({
  name, kind: 'VM', imageId: 'dev-blank-disk', planId: 'vm-512m', regionId: 'local', billingCycle: 'HOURLY',
});

/** The promise: a lost host's instances run elsewhere within this long of the loss. */
const RECOVERY_MS = 20_000;

/**
 * Two hosts of one region on this machine, sharing one instance storage folder, with the
 * defaults of a real deployment: heartbeats every 2 s, fencing after 6 s, DOWN after 10 s.
 */
describeWithHardware('high availability across two hosts sharing storage', missingHardware({ root: true, lxc: true, qemu: true }), () => {
  let system: ComputeSystem;
  let hostA: string;
  const hostB = uniqueName('hostb-');
  let nats: TestNats;
  /** The last report of each host: instance id → RUNNING or not. */
  const reports = new Map<string, Map<string, boolean>>();
  /** Each instance's runs as its hosts' heartbeats report them: from the first to the last report saying RUNNING. */
  const runs = new Map<string, { host: string; from: number; to: number }[]>();
  const openRuns = new Map<string, { host: string; from: number; to: number }>();

  function record(beat: HostHeartbeat) {
    const at = Date.parse(beat.sentAt);
    reports.set(beat.hostId, new Map(beat.instances.map((i) => [i.instanceId, i.state === 'RUNNING'])));
    const running = new Set(beat.instances.filter((i) => i.state === 'RUNNING').map((i) => i.instanceId));
    for (const id of running) {
      const key = `${beat.hostId}/${id}`;
      const run = openRuns.get(key);
      if (run) run.to = at;
      else {
        const fresh = { host: beat.hostId, from: at, to: at };
        openRuns.set(key, fresh);
        runs.set(id, [...(runs.get(id) ?? []), fresh]);
      }
    }
    for (const key of openRuns.keys()) if (key.startsWith(`${beat.hostId}/`) && !running.has(key.slice(beat.hostId.length + 1))) openRuns.delete(key);
  }

  /** Two hosts' runs of one instance that overlap in time: the instance ran twice. */
  function doubleRuns(): string[] {
    const found: string[] = [];
    for (const [id, list] of runs) {
      for (const a of list) for (const b of list) {
        if (a.host < b.host && a.from <= b.to && b.from <= a.to) found.push(`${id} on ${a.host} and ${b.host} at ${new Date(Math.max(a.from, b.from)).toISOString()}`);
      }
    }
    return found;
  }
  const accountId = uniqueName('acct-');
  const request: ComputeSystem['instance'] = (operation, payload) => system.instance(operation, payload);

  const qemuCount = async (id: string) => (await runCommand('pgrep', ['-f', `process=awan-${id}`]).catch(() => '')).split('\n').filter(Boolean).length;
  const containerState = (id: string) => runCommand('lxc-info', ['-P', instancesDir(system.agentDataDir), '-n', id, '-s', '-H']).then((s) => s.trim());
  const inContainer = (id: string, ...command: string[]) => runCommand('lxc-attach', ['-P', instancesDir(system.agentDataDir), '-n', id, '--', ...command]);
  const addressesOf = async (id: string) =>
    (await system.client.call('network.ip.list', { ...PLATFORM, instanceId: id })).edges.map((e) => e.node.address).sort();
  const history = async (id: string) => (await request('history', { id, first: 100 })).edges.map((e) => e.node);
  const hostStatus = async (id: string) => (await system.client.call('compute.host.list', {})).find((h) => h.id === id)?.status;
  /** What a host's agent enforces with nftables: its own table's rules (none where it has no table). */
  const hostRules = (hostId: string) => runCommand('nft', ['list', 'table', 'bridge', `awan-${hostId}`]).catch(() => '');
  const setMaintenance = (id: string, maintenance: boolean) => system.client.call('compute.host.setMaintenance', { id, maintenance });

  /**
   * Billing meters an instance RUNNING from its first InstanceStarted until an InstanceStopped or
   * InstanceDeleted. A move after a host's loss is neither: from its first start on, nothing
   * stopped it, started it again or ended it, so its usage runs on without a gap and never twice.
   */
  async function expectBilledWithoutGapOrOverlap(id: string) {
    const types = (await history(id)).map((e) => e.type);
    expect(types).toContain('InstanceStarted');
    const sinceStarted = types.slice(types.indexOf('InstanceStarted') + 1);
    expect(sinceStarted.filter((type) => ['InstanceStarted', 'InstanceStopped', 'InstanceFailed', 'InstanceDeleted'].includes(type))).toEqual([]);
  }

  async function createOn(hostId: string, inputs: CreateInstanceInput[]): Promise<InstanceView[]> {
    // The other host is in maintenance meanwhile, so the scheduler can only choose this one.
    const other = hostId === hostA ? hostB : hostA;
    await setMaintenance(other, true);
    try {
      const created = await Promise.all(inputs.map((input) => request('create', { accountId, input })));
      return Promise.all(created.map((c) => system.waitForStatus(c.id, ['RUNNING'], 120_000)));
    } finally {
      await setMaintenance(other, false);
    }
  }

  async function waitUntilOn(hostId: string, ids: string[], timeoutMs: number) {
    return waitFor(async () => {
      const views = await Promise.all(ids.map((id) => system.get(id)));
      return views.every((v) => v.status === 'RUNNING' && v.hostId === hostId) ? views : undefined;
    }, timeoutMs, `${ids.join(', ')} RUNNING on ${hostId}\n${system.compute.output().slice(-3000)}`);
  }

  beforeAll(async () => {
    system = await startComputeSystem({ AGENT_ACCELERATOR: 'tcg', HOST_DOWN_TIMEOUT_MS: '10000', FENCE_TIMEOUT_MS: '6000' });
    hostA = system.hostId;
    await system.startOtherAgent(hostB);
    nats = await connectTestNats();
    nats.nats.subscribe(AGENT_HEARTBEATS_SUBJECT, { callback: (_error, message) => record(message.json<HostHeartbeat>()) });
  }, 180_000);

  afterAll(async () => {
    await nats?.close();
    await system?.close();
  }, 180_000);

  afterEach(() => expect(doubleRuns()).toEqual([]));

  let instances: InstanceView[];
  let addresses: Map<string, string[]>;

  it('restarts the instances of a host killed with -9 on the other host within 20 s, with their addresses and disks', async () => {
    instances = await createOn(hostA, [container(uniqueName('ha-ct-')), vm(uniqueName('ha-vm-'))]);
    addresses = new Map(await Promise.all(instances.map(async (i) => [i.id, await addressesOf(i.id)] as const)));
    const [ct, machine] = instances;
    await inContainer(ct.id, '/bin/sh', '-c', 'echo kept > /root/mark');

    const killedAt = Date.now();
    await system.killHost(hostA);
    const moved = await waitUntilOn(hostB, instances.map((i) => i.id), RECOVERY_MS + 5000);
    const recoveredAfterMs = Date.now() - killedAt;
    expect(recoveredAfterMs).toBeLessThan(RECOVERY_MS);
    expect(await hostStatus(hostA)).toBe('DOWN');

    expect(await containerState(ct.id)).toBe('RUNNING');
    // The same disk: what was written before the loss is there.
    expect((await inContainer(ct.id, '/bin/cat', '/root/mark')).trim()).toBe('kept');
    expect(await qemuCount(machine.id)).toBe(1);
    for (const instance of moved) {
      expect(await addressesOf(instance.id)).toEqual(addresses.get(instance.id));
      const events = await history(instance.id);
      const migrated = events.find((e) => e.type === 'InstanceMigrated')!;
      expect(JSON.parse(migrated.data)).toEqual({ fromHostId: hostA, toHostId: hostB });
      expect(events.map((e) => e.type).slice(-2)).toEqual(['InstanceMigrationRequested', 'InstanceMigrated']);
      await expectBilledWithoutGapOrOverlap(instance.id);
    }
    const [v4] = (await addressesOf(ct.id)).filter((a) => a.includes('.'));
    await runCommand('ping', ['-c', '1', '-W', '5', v4]);

    // The lost host comes back: UP again, holding nothing, starting nothing.
    await system.startOtherAgent(hostA, system.agentDataDir);
    await waitFor(async () => (await hostStatus(hostA)) === 'UP' && reports.get(hostA)?.size === 0, 20_000, `${hostA} back UP and empty`);
    expect(await qemuCount(machine.id)).toBe(1);
  }, 240_000);

  it('fences a host whose agent is frozen, restarts its instances on the other host, and the thawed agent does not start them', async () => {
    const { fixture: agentB, dataDir } = system.agents.get(hostB)!;
    const [ct, machine] = instances;
    // Frozen while it holds the VM's monitor, as a heartbeat's question may: QEMU answers no other client meanwhile.
    const monitor = net.connect(qmpSocket(dataDir, machine.id)).on('error', () => undefined);
    await once(monitor, 'data');
    const frozenAt = Date.now();
    process.kill(agentB.child.pid!, 'SIGSTOP');
    try {
      // The watchdog stops them after 6 s, before compute (DOWN at 10 s) starts them elsewhere.
      await waitFor(async () => (await qemuCount(machine.id)) === 0 && (await containerState(ct.id)) === 'STOPPED', 9000, 'host B fenced');
      // 6 s after its last contact, which was at most one heartbeat (300 ms here) before the freeze.
      expect(Date.now() - frozenAt).toBeGreaterThanOrEqual(5700);
      await waitUntilOn(hostA, [ct.id, machine.id], RECOVERY_MS + 5000);
      expect(Date.now() - frozenAt).toBeLessThan(RECOVERY_MS);
    } finally {
      monitor.destroy();
      process.kill(agentB.child.pid!, 'SIGCONT');
    }
    await waitFor(async () => (await hostStatus(hostB)) === 'UP', 20_000, `${hostB} back UP`);
    await new Promise((resolve) => setTimeout(resolve, 3000)); // a few heartbeats of the thawed agent
    expect([...(reports.get(hostB)?.values() ?? [])].filter(Boolean)).toEqual([]);
    expect(await qemuCount(machine.id)).toBe(1);
    expect(await containerState(ct.id)).toBe('RUNNING');
    for (const instance of instances) await expectBilledWithoutGapOrOverlap(instance.id);
  }, 120_000);

  it('migrates on an ADMIN request: a running VM live with its firewall, a container stopped and started, each to the host asked for', async () => {
    const [ct, machine] = instances;
    const qemuBefore = (await qemuPid(system.agents.get(hostA)!.dataDir, machine.id))!;
    expect(qemuBefore).toBeGreaterThan(0);
    // Its firewall goes with it: the host it moves to holds its rules once it runs there, and the one it left none.
    const ssh = { direction: 'INGRESS' as const, protocol: 'TCP' as const, ports: '22', addresses: ['198.51.100.0/24'], description: null };
    await system.client.call('network.firewall.create', { ...PLATFORM, accountId, input: { name: uniqueName('fw-'), rules: [ssh], instanceIds: [machine.id] } });
    await waitFor(async () => (await hostRules(hostA)).includes(`spoof-${machine.id}`) && (await hostRules(hostA)).includes('dport 22'), 10_000, 'the firewall on host A');
    expect(await request('migrate', { id: machine.id, hostId: hostB })).toMatchObject({ status: 'MIGRATING' });
    expect(await request('migrate', { id: ct.id, hostId: hostB })).toMatchObject({ status: 'MIGRATING' });
    await waitUntilOn(hostB, [ct.id, machine.id], 60_000);
    const target = await hostRules(hostB);
    expect(target).toContain(`spoof-${machine.id}`);
    expect(target).toMatch(/tcp dport 22\b/);
    expect(target).toContain('198.51.100.0/24');
    expect(await hostRules(hostA)).not.toContain(`spoof-${machine.id}`);
    expect(await processGone(qemuBefore)).toBe(true);
    expect(await qemuCount(machine.id)).toBe(1);
    const vmEvents = (await history(machine.id)).map((e) => e.type);
    // Live: no stop and start around the move.
    expect(vmEvents.slice(-2)).toEqual(['InstanceMigrationRequested', 'InstanceMigrated']);
    expect(JSON.parse((await history(machine.id)).at(-2)!.data)).toMatchObject({ live: true, fromHostId: hostA, toHostId: hostB });
    expect(await containerState(ct.id)).toBe('RUNNING');
    expect(await addressesOf(ct.id)).toEqual(addresses.get(ct.id));

    await expect(request('migrate', { id: machine.id, hostId: hostB })).rejects.toMatchObject({ code: 'BAD_USER_INPUT', field: 'hostId' });
    await expect(request('migrate', { id: machine.id, hostId: 'no-such-host' })).rejects.toMatchObject({ code: 'BAD_USER_INPUT', field: 'hostId' });
  }, 120_000);

  it('drains a host in maintenance onto the other, and places nothing new there', async () => {
    await setMaintenance(hostB, true);
    try {
      await waitUntilOn(hostA, instances.map((i) => i.id), 60_000);
      await waitFor(() => reports.get(hostB)?.size === 0, 5000, `${hostB} to report no instances`);
      const fresh = await request('create', { accountId, input: container(uniqueName('ha-new-')) });
      expect(fresh.hostId).toBe(hostA);
      instances.push(await system.waitForStatus(fresh.id, ['RUNNING'], 60_000));
    } finally {
      await setMaintenance(hostB, false);
    }
    for (const instance of instances) await request('delete', { id: instance.id });
    for (const instance of instances) await system.waitForStatus(instance.id, ['DELETED'], 60_000);
  }, 180_000);
});
