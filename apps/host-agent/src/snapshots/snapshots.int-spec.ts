import { randomUUID } from 'node:crypto';
import { existsSync, mkdtempSync, readdirSync, rmSync } from 'node:fs';
import os from 'node:os';
import path from 'node:path';
import type { InstanceSpec } from '#libs/contracts';
import { qmp } from '#libs/qmp';
import { describeWithHardware } from '#libs/testing';
import { probeHost } from '../host/host-probe.js';
import { runProgram } from '../host/program.js';
import { buildBlankQcow2, buildBusyboxRootfs } from '../images/dev-images.js';
import { InstanceFolders } from '../instances/instance-folder.js';
import { InstanceManager } from '../instances/instance-manager.js';
import { LxcDriver } from '../instances/lxc.driver.js';
import { QemuDriver } from '../instances/qemu.driver.js';
import { snapshotsFor } from './snapshots.js';

const dataDir = mkdtempSync(path.join(os.tmpdir(), 'awan-snap-'));
const imagesDir = path.join(os.tmpdir(), 'awan-test-images');
const abilities = await probeHost(dataDir);
const containersMissing = abilities.kinds.includes('CONTAINER') ? null : abilities.notes.join('; ');
const vmsMissing = abilities.kinds.includes('VM') ? null : abilities.notes.join('; ');

const folders = new InstanceFolders('test-host', dataDir);
const vms = new QemuDriver({ folders, accelerator: abilities.accelerator ?? 'tcg', host: { vcpus: 8, memoryMb: 16 * 1024 } });
// The blank disk's firmware never hears an ACPI powerdown: a stop is forced after this.
const manager = new InstanceManager(folders, { VM: vms, CONTAINER: new LxcDriver(folders) }, { stopTimeoutMs: 1000 });
const snapshots = snapshotsFor(manager);

afterAll(async () => {
  for (const status of await manager.list()) await manager.delete(status.instanceId);
  rmSync(dataDir, { recursive: true, force: true });
});

/** An instance without a network: the snapshots are about its disk alone. */
function spec(kind: InstanceSpec['kind'], location: string): InstanceSpec {
  return { instanceId: randomUUID(), name: kind === 'VM' ? 'vm-snap' : 'ct-snap', kind, vcpus: 1, memoryMb: 128, diskGb: 1, image: { kind, location } };
}

describeWithHardware('snapshots of LXC containers, for real', containersMissing, () => {
  let rootfs: string;
  beforeAll(async () => {
    rootfs = await buildBusyboxRootfs(path.join(imagesDir, 'busybox-rootfs.tar.gz'));
  });
  const lxc = (id: string) => ['-P', folders.root, '-n', id];
  const inside = (id: string, script: string) => runProgram('lxc-attach', [...lxc(id), '--', '/bin/sh', '-c', script]);

  it('copies the rootfs of a running container frozen only meanwhile, puts it back on the stopped one, and deletes it', async () => {
    const container = spec('CONTAINER', rootfs);
    const id = container.instanceId;
    await manager.create(container, true);
    await inside(id, 'echo first > /root/marker');

    const snapshotId = randomUUID();
    const taken = await snapshots.create({ instanceId: id, snapshotId });
    // The copy is the rootfs as it was: busybox and the marker, a few MB.
    expect(taken.sizeMb).toBeGreaterThan(0);
    expect(taken.sizeMb).toBeLessThan(50);
    expect((await runProgram('lxc-info', [...lxc(id), '-s', '-H'])).trim()).toBe('RUNNING'); // thawed
    expect(await snapshots.create({ instanceId: id, snapshotId })).toEqual(taken); // asked again, the same
    expect(readdirSync(folders.file(id, 'snapshots'))).toEqual([snapshotId]);
    // An agent that died during a copy left the container frozen: the next snapshot thaws it too, and it never showed STOPPED.
    await runProgram('lxc-freeze', lxc(id));
    expect(await manager.status(id)).toMatchObject({ state: 'RUNNING' });
    const again = randomUUID();
    await snapshots.create({ instanceId: id, snapshotId: again });
    expect((await runProgram('lxc-info', [...lxc(id), '-s', '-H'])).trim()).toBe('RUNNING');
    await snapshots.delete({ instanceId: id, snapshotId: again });

    await inside(id, 'echo second > /root/marker; echo new > /root/later');
    await expect(snapshots.restore({ instanceId: id, snapshotId })).rejects.toMatchObject({ code: 'CONFLICT' });
    await manager.stop(id, true);
    expect(await snapshots.restore({ instanceId: id, snapshotId })).toMatchObject({ state: 'STOPPED' });
    await snapshots.restore({ instanceId: id, snapshotId }); // asked again, the same disk
    await manager.start(id);
    expect((await inside(id, 'cat /root/marker')).trim()).toBe('first');
    expect((await inside(id, 'ls /root')).trim()).toBe('marker');

    expect(await snapshots.delete({ instanceId: id, snapshotId })).toEqual({ snapshotId });
    expect(readdirSync(folders.file(id, 'snapshots'))).toEqual([]);
    expect(await snapshots.delete({ instanceId: id, snapshotId })).toEqual({ snapshotId });
    await manager.stop(id, true);
    await expect(snapshots.restore({ instanceId: id, snapshotId })).rejects.toMatchObject({ code: 'NOT_FOUND' });
    await manager.delete(id);
  });

  it('refuses ids that are not UUIDs before they reach a path', async () => {
    const container = spec('CONTAINER', rootfs);
    await manager.create(container, false);
    for (const snapshotId of ['../rootfs', 'a/b', '', 'A0C4D8F2-0000-4000-8000-000000000001']) {
      await expect(snapshots.create({ instanceId: container.instanceId, snapshotId })).rejects.toMatchObject({ code: 'BAD_USER_INPUT', field: 'snapshotId' });
    }
    await expect(snapshots.create({ instanceId: '../x', snapshotId: randomUUID() })).rejects.toMatchObject({ code: 'BAD_USER_INPUT', field: 'instanceId' });
    await expect(snapshots.create({ instanceId: randomUUID(), snapshotId: randomUUID() })).rejects.toMatchObject({ code: 'NOT_FOUND' });
    expect(existsSync(folders.file(container.instanceId, 'snapshots'))).toBe(false);
    await manager.delete(container.instanceId);
  });
});

describeWithHardware('snapshots of QEMU virtual machines, for real', vmsMissing, () => {
  let blank: string;
  beforeAll(async () => {
    blank = await buildBlankQcow2(path.join(imagesDir, 'blank.qcow2'));
  });
  const disk = (id: string) => folders.file(id, 'disk.qcow2');
  const tags = async (id: string) => ((JSON.parse(await runProgram('qemu-img', ['info', '--output=json', '-U', disk(id)])).snapshots ?? []) as { name: string }[]).map((s) => s.name);
  const write = (id: string, pattern: string) => runProgram('qemu-io', ['-f', 'qcow2', '-c', `write -P ${pattern} 0 4M`, disk(id)]);
  /** Whether the disk's first 4 MB are all `pattern`: qemu-io compares every byte. */
  const holds = (id: string, pattern: string) => runProgram('qemu-io', ['-f', 'qcow2', '-c', `read -P ${pattern} 0 4M`, disk(id)]).then(() => true, () => false);

  it('takes an internal qcow2 snapshot of the running VM through QMP, restores it onto the stopped disk byte for byte, and deletes it', async () => {
    const vm = spec('VM', blank);
    const id = vm.instanceId;
    await manager.create(vm, false);
    await write(id, '0xa1');
    await manager.start(id);
    const socket = await folders.runtimeFile(id, 'qmp.sock');

    const snapshotId = randomUUID();
    const taken = await snapshots.create({ instanceId: id, snapshotId });
    expect(await qmp(socket, 'query-status')).toMatchObject({ status: 'running' }); // the guest ran on
    expect(await tags(id)).toEqual([snapshotId]);
    expect(taken.sizeMb).toBeGreaterThanOrEqual(4); // the 4 MB written, and the qcow2's tables
    expect(taken.sizeMb).toBeLessThan(16);
    expect(await snapshots.create({ instanceId: id, snapshotId })).toEqual(taken);
    expect(await tags(id)).toEqual([snapshotId]);

    await expect(snapshots.restore({ instanceId: id, snapshotId })).rejects.toMatchObject({ code: 'CONFLICT' });
    await manager.stop(id, true);
    await write(id, '0xb2');
    const later = randomUUID();
    await snapshots.create({ instanceId: id, snapshotId: later }); // of the stopped VM: qemu-img
    expect(await holds(id, '0xb2')).toBe(true);

    await snapshots.restore({ instanceId: id, snapshotId });
    expect(await holds(id, '0xa1')).toBe(true);
    expect(await tags(id)).toEqual([snapshotId, later]); // the later one stays
    await snapshots.restore({ instanceId: id, snapshotId: later });
    expect(await holds(id, '0xb2')).toBe(true);

    await snapshots.delete({ instanceId: id, snapshotId: later }); // stopped: qemu-img
    await manager.start(id);
    await snapshots.delete({ instanceId: id, snapshotId }); // running: QMP
    await snapshots.delete({ instanceId: id, snapshotId });
    await manager.stop(id, true);
    expect(await tags(id)).toEqual([]);
    await expect(snapshots.restore({ instanceId: id, snapshotId })).rejects.toMatchObject({ code: 'NOT_FOUND' });
    await manager.delete(id);
  });
});
