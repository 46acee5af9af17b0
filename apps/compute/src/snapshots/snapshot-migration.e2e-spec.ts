import path from 'node:path';
import type { SnapshotView } from '#libs/contracts';
import { describeWithHardware, missingHardware, runCommand, uniqueName, waitFor } from '#libs/testing';
import { instancesDir } from '../../test/agent-files.js';
import { PLATFORM, startComputeSystem, type ComputeSystem } from '../../test/compute-system.js';

/**
 * A VM's snapshot goes with it on a live migration: two hosts of one region on this machine share
 * the instance storage, the snapshot is in the VM's disk, and the host it lands on restores it.
 */
describeWithHardware('snapshots on a live migration', missingHardware({ root: true, qemu: true }), () => {
  let system: ComputeSystem;
  let hostA: string;
  const hostB = uniqueName('hostb-');

  beforeAll(async () => {
    system = await startComputeSystem({ AGENT_ACCELERATOR: 'tcg', STOP_TIMEOUT_MS: '2000' });
    hostA = system.hostId;
    await system.startOtherAgent(hostB);
  }, 180_000);
  afterAll(() => system?.close(), 180_000);

  const snapshotOf = async (instanceId: string) => (await system.client.call('compute.snapshot.list', { ...PLATFORM, instanceIds: [instanceId] }))[0];
  const waitForSnapshot = (instanceId: string, status: SnapshotView['status']) =>
    waitFor(async () => ((await snapshotOf(instanceId))?.status === status ? snapshotOf(instanceId) : undefined), 60_000, `the snapshot to be ${status}`);

  it('moves with the running VM, and the other host restores it byte for byte', async () => {
    await system.client.call('compute.host.setMaintenance', { id: hostB, maintenance: true });
    const created = await system.instance('create', {
      accountId: uniqueName('acct-'),
      input: { name: uniqueName('mig-'), kind: 'VM', imageId: 'dev-blank-disk', planId: 'vm-512m', regionId: 'local', billingCycle: 'HOURLY' },
    });
    await system.client.call('compute.host.setMaintenance', { id: hostB, maintenance: false });
    expect((await system.waitForStatus(created.id, ['RUNNING'])).hostId).toBe(hostA);
    const disk = path.join(instancesDir(system.agentDataDir), created.id, 'disk.qcow2');
    const qemuIo = (command: string) => runCommand('qemu-io', ['-f', 'qcow2', '-c', command, disk]);

    await system.instance('stop', { id: created.id });
    await system.waitForStatus(created.id, ['STOPPED']);
    await qemuIo('write -P 0x5a 0 4M');
    await system.instance('start', { id: created.id });
    await system.waitForStatus(created.id, ['RUNNING']);
    const { id: snapshotId } = await system.client.call('compute.snapshot.create', { ...PLATFORM, instanceId: created.id, name: 'before-move' });
    const taken = await waitForSnapshot(created.id, 'AVAILABLE');

    expect(await system.instance('migrate', { id: created.id, hostId: hostB })).toMatchObject({ status: 'MIGRATING' });
    await waitFor(async () => {
      const view = await system.get(created.id);
      return view.status === 'RUNNING' && view.hostId === hostB;
    }, 60_000, `the VM to run on ${hostB}`);
    const history = (await system.instance('history', { id: created.id, first: 50 })).edges.map((e) => e.node.type);
    expect(history.slice(-2)).toEqual(['InstanceMigrationRequested', 'InstanceMigrated']); // live: no stop around the move
    expect(await snapshotOf(created.id)).toEqual(taken);

    await system.instance('stop', { id: created.id });
    await system.waitForStatus(created.id, ['STOPPED']);
    await qemuIo('write -P 0x00 0 4M');
    await system.client.call('compute.snapshot.restore', { ...PLATFORM, id: snapshotId });
    expect(await system.waitForStatus(created.id, ['STOPPED'])).toMatchObject({ hostId: hostB });
    await qemuIo('read -P 0x5a 0 4M'); // fails on the first byte that differs
    // Deleted on the host that holds it now.
    await system.client.call('compute.snapshot.delete', { ...PLATFORM, id: snapshotId });
    await waitFor(async () => (await snapshotOf(created.id)) === undefined, 60_000, 'the snapshot to be deleted');
    const tags = JSON.parse(await runCommand('qemu-img', ['info', '--output=json', '-U', disk])).snapshots ?? [];
    expect(tags).toEqual([]);
  }, 240_000);
});
