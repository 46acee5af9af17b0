import { randomUUID } from 'node:crypto';
import { once } from 'node:events';
import { existsSync, lstatSync, mkdirSync, mkdtempSync, readdirSync, readFileSync, rmSync, statSync, writeFileSync } from 'node:fs';
import net from 'node:net';
import os from 'node:os';
import path from 'node:path';
import type { InstanceSpec } from '#libs/contracts';
import { describeWithHardware } from '#libs/testing';
import { buildBlankQcow2, buildBusyboxRootfs } from '../images/dev-images.js';
import { probeHost } from '../host/host-probe.js';
import { processGone, runProgram } from '../host/program.js';
import { CONTAINER_IDS } from './container-ids.js';
import { InstanceFolders } from './instance-folder.js';
import { waitUntil } from './instance-driver.js';
import { InstanceManager } from './instance-manager.js';
import { LxcDriver } from './lxc.driver.js';
import { QemuDriver } from './qemu.driver.js';
import { qmp } from '#libs/qmp';
import { tapName } from './host-network.js';

const dataDir = mkdtempSync(path.join(os.tmpdir(), 'awan-agent-'));
const imagesDir = path.join(os.tmpdir(), 'awan-test-images');
const abilities = await probeHost(dataDir);
const root = process.getuid?.() === 0;
const containersMissing = abilities.kinds.includes('CONTAINER') ? null : abilities.notes.join('; ');
const vmsMissing = !root ? 'needs root (tap devices)' : abilities.kinds.includes('VM') ? null : abilities.notes.join('; ');

/** A host's agent: its instance manager over its folders; the storage is `dataDir`, shared by the test's hosts. */
function agentOn(hostFolders: InstanceFolders): InstanceManager {
  // The room a VM starts with depends on its host: the test's hosts have one size, whatever machine runs the test.
  const vms = new QemuDriver({ folders: hostFolders, accelerator: abilities.accelerator ?? 'tcg', host: { vcpus: 8, memoryMb: 16 * 1024 } });
  // The blank disk's firmware never hears an ACPI powerdown: a stop, and a resize's restart, is forced after this.
  return new InstanceManager(hostFolders, { VM: vms, CONTAINER: new LxcDriver(hostFolders) }, { stopTimeoutMs: 3000 });
}
const folders = new InstanceFolders('test-host', dataDir);
const manager = agentOn(folders);
const bridge = `awtb${randomUUID().slice(0, 6)}`;
const lxc = (id: string) => ['-P', folders.root, '-n', id];

beforeAll(async () => {
  if (!root) return;
  // The test's own bridge in a documentation range no other test's bridge uses; the host side holds the gateway.
  await runProgram('ip', ['link', 'add', bridge, 'type', 'bridge']);
  await runProgram('ip', ['address', 'add', '198.51.100.193/26', 'dev', bridge]);
  await runProgram('ip', ['link', 'set', bridge, 'up']);
});
afterAll(async () => {
  for (const status of await manager.list()) await manager.delete(status.instanceId);
  if (root) await runProgram('ip', ['link', 'delete', bridge]).catch(() => undefined);
  rmSync(dataDir, { recursive: true, force: true });
});

function spec(kind: InstanceSpec['kind'], location: string, overrides: Partial<InstanceSpec> = {}): InstanceSpec {
  const host = 194 + Math.floor(Math.random() * 60);
  return {
    instanceId: randomUUID(),
    name: `${kind === 'VM' ? 'vm' : 'ct'}-${host}`,
    kind,
    vcpus: 1,
    memoryMb: 128,
    diskGb: 1,
    image: { kind, location },
    network: { bridge, ipv4: `198.51.100.${host}/26`, gateway4: '198.51.100.193' },
    ...overrides,
  };
}

/** What is attached to the test bridge right now. */
async function bridgePorts(): Promise<string[]> {
  const out = await runProgram('ip', ['-o', 'link', 'show', 'master', bridge]);
  return out.split('\n').filter(Boolean).map((line) => line.split(': ')[1].split('@')[0]);
}

describeWithHardware('LXC containers, for real', containersMissing, () => {
  let rootfs: string;
  beforeAll(async () => {
    rootfs = await buildBusyboxRootfs(path.join(imagesDir, 'busybox-rootfs.tar.gz'));
  });

  const cgroupValue = async (id: string, v1: string, v2: string) => {
    const unified = existsSync('/sys/fs/cgroup/cgroup.controllers');
    return (await runProgram('lxc-cgroup', [...lxc(id), unified ? v2 : v1])).trim();
  };

  it('creates a running container with its plan limits and address, stops, starts, resizes live and deletes without a trace', async () => {
    const container = spec('CONTAINER', rootfs, { memoryMb: 128, vcpus: 1 });
    const id = container.instanceId;

    expect(await manager.create(container, true)).toMatchObject({ instanceId: id, state: 'RUNNING', memoryMb: 128 });
    expect((await runProgram('lxc-info', [...lxc(id), '-s', '-H'])).trim()).toBe('RUNNING');
    expect((await runProgram('lxc-info', [...lxc(id), '-i', '-H'])).trim()).toBe(container.network!.ipv4!.split('/')[0]);
    expect(await cgroupValue(id, 'memory.limit_in_bytes', 'memory.max')).toBe(String(128 * 1024 * 1024));
    expect(await bridgePorts()).toHaveLength(1);

    expect(await manager.stop(id)).toMatchObject({ state: 'STOPPED' });
    expect((await runProgram('lxc-info', [...lxc(id), '-s', '-H'])).trim()).toBe('STOPPED');
    expect(await manager.start(id)).toMatchObject({ state: 'RUNNING' });

    expect(await manager.resize(id, { vcpus: 2, memoryMb: 256, diskGb: 1 })).toMatchObject({ state: 'RUNNING', vcpus: 2, memoryMb: 256 });
    expect(await cgroupValue(id, 'memory.limit_in_bytes', 'memory.max')).toBe(String(256 * 1024 * 1024));
    expect(await cgroupValue(id, 'cpu.cfs_quota_us', 'cpu.max')).toMatch(/^200000/);

    expect(await manager.delete(id)).toMatchObject({ state: 'MISSING' });
    expect(existsSync(folders.dir(id))).toBe(false);
    expect(await runProgram('lxc-ls', ['-P', folders.root, '-1'])).not.toContain(id);
    expect(await bridgePorts()).toEqual([]);
  });

  it('gives an instance it could not take over back to the host it came from, which can start it again', async () => {
    const container = spec('CONTAINER', rootfs);
    const id = container.instanceId;
    await manager.create(container, true);
    await manager.stop(id);
    // Another host on the same storage, whose LXC cannot start it (a fault put in its driver).
    const otherDataDir = mkdtempSync(path.join(os.tmpdir(), 'awan-agent-b-'));
    const otherFolders = new InstanceFolders('other-host', dataDir, otherDataDir);
    const failingLxc = Object.assign(Object.create(new LxcDriver(otherFolders)) as LxcDriver, {
      start: () => Promise.reject(new Error('lxc-start: failed to start (a fault put in for the test)')),
    });
    const other = new InstanceManager(otherFolders, { VM: new QemuDriver({ folders: otherFolders, accelerator: 'tcg' }), CONTAINER: failingLxc });
    try {
      await expect(other.adopt(id, true)).rejects.toThrow('lxc-start');
      expect(await folders.owner(id)).toBe('test-host');
      expect(await manager.start(id)).toMatchObject({ state: 'RUNNING' });
    } finally {
      await manager.delete(id);
      rmSync(otherDataDir, { recursive: true, force: true });
    }
  });

  it('answers a repeated create with the instance it already made', async () => {
    const container = spec('CONTAINER', rootfs);
    await manager.create(container, true);
    expect(await manager.create({ ...container, memoryMb: 512 }, true)).toMatchObject({ state: 'RUNNING', memoryMb: 128 });
    await manager.delete(container.instanceId);
  });

  it('lists each of its containers as running, paused (frozen while a snapshot copies it) or stopped', async () => {
    const [running, frozen, stopped] = [spec('CONTAINER', rootfs), spec('CONTAINER', rootfs), spec('CONTAINER', rootfs)];
    for (const container of [running, frozen, stopped]) await manager.create(container, container !== stopped);
    await runProgram('lxc-freeze', lxc(frozen.instanceId));
    try {
      const listed = new Map((await manager.list()).map((status) => [status.instanceId, status.state]));
      expect([running, frozen, stopped].map((container) => listed.get(container.instanceId))).toEqual(['RUNNING', 'RUNNING', 'STOPPED']);
    } finally {
      await runProgram('lxc-unfreeze', lxc(frozen.instanceId));
      for (const container of [running, frozen, stopped]) await manager.delete(container.instanceId);
    }
  });

  it('fences its running and frozen containers by their processes, and leaves the stopped one be', async () => {
    const [running, frozen, stopped] = [spec('CONTAINER', rootfs), spec('CONTAINER', rootfs), spec('CONTAINER', rootfs)];
    for (const container of [running, frozen, stopped]) await manager.create(container, container !== stopped);
    const init = async (id: string) => Number((await runProgram('lxc-info', [...lxc(id), '-p', '-H'])).trim());
    const inits = [await init(running.instanceId), await init(frozen.instanceId)];
    // Frozen as a snapshot's copy freezes it: its processes take no signal until it is thawed.
    await runProgram('lxc-freeze', lxc(frozen.instanceId));
    try {
      expect(new Set(await manager.fence())).toEqual(new Set([running.instanceId, frozen.instanceId]));
      for (const pid of inits) expect(await processGone(pid)).toBe(true);
      const statuses = await Promise.all([running, frozen, stopped].map((container) => manager.status(container.instanceId)));
      expect(statuses.map((status) => [status.state, status.fenced === true])).toEqual([['STOPPED', true], ['STOPPED', true], ['STOPPED', false]]);
    } finally {
      await runProgram('lxc-unfreeze', lxc(frozen.instanceId)).catch(() => undefined);
      for (const container of [running, frozen, stopped]) await manager.delete(container.instanceId);
    }
  });

  it('makes a create cut short again when it is retried: its spec kept, its rootfs half copied', async () => {
    const container = spec('CONTAINER', rootfs);
    // What an agent restarted during the rootfs's copy leaves: the spec and owner written, part of a rootfs, no config.
    await folders.writeSpec(container);
    mkdirSync(path.join(folders.dir(container.instanceId), 'rootfs', 'bin'), { recursive: true });
    expect(await manager.create(container, true)).toMatchObject({ state: 'RUNNING' });
    expect(existsSync(path.join(folders.dir(container.instanceId), 'rootfs', 'bin', 'busybox'))).toBe(true);
    await manager.delete(container.instanceId);
  });

  it('gives each container a rootfs of its own, copied from its image unpacked once', async () => {
    const [first, second] = [spec('CONTAINER', rootfs, { network: undefined }), spec('CONTAINER', rootfs, { network: undefined })];
    for (const container of [first, second]) await manager.create(container, false);
    const rootfsOf = (container: InstanceSpec) => path.join(folders.dir(container.instanceId), 'rootfs');
    const unpacked = readdirSync(path.join(folders.images, 'unpacked')).filter((name) => !name.includes('.partial-'));
    expect(unpacked).toHaveLength(1);
    const image = path.join(folders.images, 'unpacked', unpacked[0]);
    // As the tarball holds it: what tar lists is what each rootfs has.
    const listed = (await runProgram('tar', ['-tf', rootfs])).split('\n').filter((name) => name && name !== './').map((name) => name.replace(/^\.\/|\/$/g, ''));
    const missing = listed.filter((name) => lstatSync(path.join(rootfsOf(first), name), { throwIfNoEntry: false }) === undefined);
    expect(listed.length).toBeGreaterThan(100);
    expect(missing).toEqual([]);
    expect(statSync(path.join(rootfsOf(second), 'bin/busybox')).mode & 0o777).toBe(0o755);
    // Each its own: what one container writes is in neither the other nor the image.
    writeFileSync(path.join(rootfsOf(first), 'etc/hostname'), 'changed\n');
    expect(readFileSync(path.join(rootfsOf(second), 'etc/hostname'), 'utf8')).toBe('busybox\n');
    expect(readFileSync(path.join(image, 'etc/hostname'), 'utf8')).toBe('busybox\n');
    await manager.start(second.instanceId);
    expect((await runProgram('lxc-info', [...lxc(second.instanceId), '-s', '-H'])).trim()).toBe('RUNNING');
    for (const container of [first, second]) await manager.delete(container.instanceId);
  });

  it("runs a container unprivileged: its root is the host's 100000, which makes no device and opens no host disk", async () => {
    const container = spec('CONTAINER', rootfs);
    const id = container.instanceId;
    await manager.create(container, true);
    const inside = (script: string) => runProgram('lxc-attach', [...lxc(id), '--', 'sh', '-c', script]);
    expect((await inside('cat /proc/self/uid_map')).trim().split(/\s+/)).toEqual(['0', String(CONTAINER_IDS.first), String(CONTAINER_IDS.count)]);
    await inside('touch /root/made-inside');
    const made = statSync(path.join(folders.dir(id), 'rootfs/root/made-inside'));
    expect([made.uid, made.gid]).toEqual([CONTAINER_IDS.first, CONTAINER_IDS.first]);
    expect(statSync(path.join(folders.dir(id), 'rootfs/bin/busybox')).uid).toBe(CONTAINER_IDS.first);
    // As a privileged container's root could: a node of the host's first disk, to read it raw.
    await expect(inside('mknod /tmp/host-disk b 8 0')).rejects.toThrow(/Operation not permitted/);
    await manager.delete(id);
  });

  it("maps a container's rootfs the host's root owns (made before containers were unprivileged) at its next start", async () => {
    const container = spec('CONTAINER', rootfs, { network: undefined });
    const id = container.instanceId;
    await manager.create(container, false);
    const rootfsOf = path.join(folders.dir(id), 'rootfs');
    // As an older agent left it: owned by the host's root, in a folder only root may enter.
    await runProgram('chown', ['-R', '0:0', rootfsOf]);
    await runProgram('chmod', ['0700', folders.dir(id)]);
    writeFileSync(path.join(rootfsOf, 'root/kept'), 'from before\n');
    await manager.start(id);
    expect((await runProgram('lxc-info', [...lxc(id), '-s', '-H'])).trim()).toBe('RUNNING');
    for (const file of ['.', 'bin/busybox', 'root/kept']) expect(statSync(path.join(rootfsOf, file)).uid).toBe(CONTAINER_IDS.first);
    expect((await runProgram('lxc-attach', [...lxc(id), '--', 'cat', '/root/kept']))).toBe('from before\n');
    await manager.delete(id);
  });

  it("refuses a create that comes after the instance's delete, as one sent before it by another of compute's replicas would", async () => {
    const late = spec('CONTAINER', rootfs);
    // The delete finds nothing yet: the create it overtook is still on its way.
    expect(await manager.delete(late.instanceId)).toMatchObject({ state: 'MISSING' });
    await expect(manager.create(late, true)).rejects.toMatchObject({ code: 'CONFLICT', message: expect.stringMatching(/was deleted on this host/) });
    expect(existsSync(folders.dir(late.instanceId))).toBe(false);
    expect(await bridgePorts()).toEqual([]);
    // A delete of one it made is remembered too.
    const made = spec('CONTAINER', rootfs, { network: undefined });
    await manager.create(made, false);
    await manager.delete(made.instanceId);
    await expect(manager.create(made, false)).rejects.toMatchObject({ code: 'CONFLICT' });
  });

  it('leaves nothing behind when a create fails', async () => {
    const broken = spec('CONTAINER', path.join(imagesDir, 'no-such-rootfs.tar.gz'));
    await expect(manager.create(broken, true)).rejects.toMatchObject({ code: 'BAD_USER_INPUT', field: 'spec.image.location' });
    expect(existsSync(folders.dir(broken.instanceId))).toBe(false);
  });
});

describeWithHardware('QEMU virtual machines, for real', vmsMissing, () => {
  let blank: string;
  beforeAll(async () => {
    blank = await buildBlankQcow2(path.join(imagesDir, 'blank.qcow2'));
  });

  it('ends a QEMU whose monitor never answered: the VM is stopped, as its failed start says, and starts anew when asked again', async () => {
    const vm = spec('VM', blank);
    await manager.create(vm, false);
    // A fault put in for the test: a "QEMU" that daemonizes and writes its pidfile (its command line names it, as QEMU's
    // does), and never opens its monitor, as a QEMU blocked opening its disk on a hung share would not.
    const silentQemu = path.join(dataDir, 'silent-qemu');
    writeFileSync(silentQemu, `#!/bin/sh
while [ "$1" != "-pidfile" ]; do shift; done
sh -c 'while :; do sleep 1; done' silent-qemu -pidfile "$2" </dev/null >/dev/null 2>&1 &
echo $! > "$2"
`, { mode: 0o755 });
    const silent = new InstanceManager(folders, { VM: new QemuDriver({ folders, accelerator: 'tcg', binary: silentQemu }), CONTAINER: new LxcDriver(folders) });
    await expect(silent.start(vm.instanceId)).rejects.toThrow('QMP socket does not answer');
    const stale = Number(readFileSync(await folders.runtimeFile(vm.instanceId, 'qemu.pid'), 'utf8'));
    expect(await processGone(stale)).toBe(true);
    expect(await bridgePorts()).not.toContain(tapName(folders.hostId, vm.instanceId));
    expect(await manager.status(vm.instanceId)).toMatchObject({ state: 'STOPPED' });
    // The real QEMU starts it now.
    expect(await manager.start(vm.instanceId)).toMatchObject({ state: 'RUNNING' });
    await manager.delete(vm.instanceId);
  }, 60_000);

  it('runs a VM with the plan’s memory and vCPUs, forces it off when the guest ignores powerdown, and deletes it without a trace', async () => {
    const vm = spec('VM', blank, { vcpus: 2, memoryMb: 256, diskGb: 2 });
    const id = vm.instanceId;
    const socket = await folders.runtimeFile(id, 'qmp.sock');

    expect(await manager.create(vm, true)).toMatchObject({ state: 'RUNNING' });
    expect(await qmp(socket, 'query-status')).toMatchObject({ status: 'running' });
    expect(await qmp(socket, 'query-memory-size-summary')).toMatchObject({ 'base-memory': 256 * 1024 * 1024 });
    expect(await qmp<unknown[]>(socket, 'query-cpus-fast')).toHaveLength(2);
    expect(await bridgePorts()).toEqual([tapName('test-host', id)]);
    const disk = JSON.parse(await runProgram('qemu-img', ['info', '--output=json', '-U', folders.file(id, 'disk.qcow2')]));
    expect(disk).toMatchObject({ 'virtual-size': 2 * 1024 ** 3, 'backing-filename': blank });

    // The blank disk's firmware has no OS to hear the ACPI button: the stop is forced at the timeout.
    const started = Date.now();
    expect(await manager.stop(id, false, 1500)).toMatchObject({ state: 'STOPPED' });
    expect(Date.now() - started).toBeGreaterThanOrEqual(1500);
    expect(await bridgePorts()).toEqual([]);

    expect(await manager.start(id)).toMatchObject({ state: 'RUNNING' });
    const pid = Number((await runProgram('cat', [await folders.runtimeFile(id, 'qemu.pid')])).trim());
    expect(await manager.delete(id)).toMatchObject({ state: 'MISSING' });
    expect(await processGone(pid)).toBe(true);
    expect(existsSync(folders.dir(id))).toBe(false);
    expect(await bridgePorts()).toEqual([]);
  });

  it('fences a VM whose monitor another client holds, as a frozen agent may, without waiting on the monitor', async () => {
    const vm = spec('VM', blank);
    const id = vm.instanceId;
    expect(await manager.create(vm, true)).toMatchObject({ state: 'RUNNING' });
    const pid = Number(readFileSync(await folders.runtimeFile(id, 'qemu.pid'), 'utf8').trim());
    // QEMU's monitor serves one client at a time: while this one stays connected, any other waits unanswered.
    const holder = net.connect(await folders.runtimeFile(id, 'qmp.sock'));
    await once(holder, 'data');
    try {
      const started = Date.now();
      expect(await manager.fence()).toEqual([id]);
      // Well inside the monitor's 5 s timeout, which the fence took before: past the fence timeout, compute's restart elsewhere could come first.
      expect(Date.now() - started).toBeLessThan(3000);
      expect(await processGone(pid)).toBe(true);
      expect(await manager.status(id)).toMatchObject({ state: 'STOPPED', fenced: true });
    } finally {
      holder.destroy();
    }
    expect(await manager.delete(id)).toMatchObject({ state: 'MISSING' });
  });

  it('gives each new VM a disk of its own, the file qemu-img would make for it, copied from one made once for its image and size', async () => {
    const [first, second, larger] = [spec('VM', blank, { network: undefined }), spec('VM', blank, { network: undefined }), spec('VM', blank, { diskGb: 3, network: undefined })];
    for (const vm of [first, second, larger]) await manager.create(vm, false);
    const diskOf = (vm: InstanceSpec) => folders.file(vm.instanceId, 'disk.qcow2');
    const expected = path.join(dataDir, 'expected.qcow2');
    await runProgram('qemu-img', ['create', '-q', '-f', 'qcow2', '-b', blank, '-F', 'qcow2', expected, '1G']);
    expect(readFileSync(diskOf(first)).equals(readFileSync(expected))).toBe(true);
    expect(readFileSync(diskOf(second)).equals(readFileSync(expected))).toBe(true);
    const info = async (vm: InstanceSpec) => JSON.parse(await runProgram('qemu-img', ['info', '--output=json', '-U', diskOf(vm)]));
    expect(await info(larger)).toMatchObject({ 'virtual-size': 3 * 1024 ** 3, 'backing-filename': blank });
    // Files of their own: one disk changed leaves the others as they were.
    await runProgram('qemu-img', ['resize', '-q', diskOf(first), '2G']);
    expect(await info(first)).toMatchObject({ 'virtual-size': 2 * 1024 ** 3 });
    expect(await info(second)).toMatchObject({ 'virtual-size': 1024 ** 3 });
    await runProgram('qemu-img', ['check', '-q', diskOf(first)]);
    for (const vm of [first, second, larger]) await manager.delete(vm.instanceId);
  });

  it('grows a disk at the next start and refuses to shrink it', async () => {
    const vm = spec('VM', blank, { diskGb: 2, network: undefined });
    await manager.create(vm, false);
    await expect(manager.resize(vm.instanceId, { vcpus: 1, memoryMb: 128, diskGb: 1 })).rejects.toMatchObject({ code: 'BAD_USER_INPUT', field: 'diskGb' });
    expect(await manager.resize(vm.instanceId, { vcpus: 2, memoryMb: 256, diskGb: 3 })).toMatchObject({ state: 'STOPPED', vcpus: 2, diskGb: 3 });
    await manager.start(vm.instanceId);
    const socket = await folders.runtimeFile(vm.instanceId, 'qmp.sock');
    expect(await qmp<unknown[]>(socket, 'query-cpus-fast')).toHaveLength(2);
    const disk = JSON.parse(await runProgram('qemu-img', ['info', '--output=json', '-U', folders.file(vm.instanceId, 'disk.qcow2')]));
    expect(disk['virtual-size']).toBe(3 * 1024 ** 3);
    await manager.delete(vm.instanceId);
  });

  const MiB = 1024 ** 2;
  /** What the VM's running QEMU gives its guest, as QMP reports it: memory booted with and plugged, vCPUs, disk size. */
  async function guestSize(socket: string) {
    const memory = await qmp<{ 'base-memory': number; 'plugged-memory'?: number }>(socket, 'query-memory-size-summary');
    const vcpus = (await qmp<unknown[]>(socket, 'query-cpus-fast')).length;
    const blocks = await qmp<{ device: string; inserted: { image: { 'virtual-size': number } } }[]>(socket, 'query-block');
    const disk = blocks.find((block) => block.device === 'disk0')!.inserted.image['virtual-size'];
    return { memoryMb: (memory['base-memory'] + (memory['plugged-memory'] ?? 0)) / MiB, vcpus, diskGb: disk / 1024 ** 3 };
  }
  const qemuPid = async (hostFolders: InstanceFolders, id: string) => Number(readFileSync(await hostFolders.runtimeFile(id, 'qemu.pid'), 'utf8'));

  it('resizes a running VM in place, in the same QEMU, and restarts it to shrink it or to grow past its room', async () => {
    const vm = spec('VM', blank, { memoryMb: 512, vcpus: 1, diskGb: 1, network: undefined });
    const id = vm.instanceId;
    await manager.create(vm, true);
    const socket = await folders.runtimeFile(id, 'qmp.sock');
    const pid = await qemuPid(folders, id);
    expect(await guestSize(socket)).toEqual({ memoryMb: 512, vcpus: 1, diskGb: 1 });

    const grown = { vcpus: 2, memoryMb: 1024, diskGb: 2 };
    expect(await manager.resize(id, grown)).toMatchObject({ state: 'RUNNING', ...grown, restarted: false });
    expect(await guestSize(socket)).toEqual(grown);
    expect(await qemuPid(folders, id)).toBe(pid);
    // Asked again, as compute does when an answer is late: nothing more is plugged.
    expect(await manager.resize(id, grown)).toMatchObject({ state: 'RUNNING', restarted: false });
    expect(await guestSize(socket)).toEqual(grown);

    expect(await manager.resize(id, { vcpus: 1, memoryMb: 512, diskGb: 2 })).toMatchObject({ state: 'RUNNING', memoryMb: 512, vcpus: 1, restarted: true });
    const restartedPid = await qemuPid(folders, id);
    expect(restartedPid).not.toBe(pid);
    expect(await processGone(pid)).toBe(true);
    expect(await guestSize(socket)).toEqual({ memoryMb: 512, vcpus: 1, diskGb: 2 });

    // Room is four times what it started with: 2560 MB is past it.
    expect(await manager.resize(id, { vcpus: 1, memoryMb: 2560, diskGb: 2 })).toMatchObject({ state: 'RUNNING', memoryMb: 2560, restarted: true });
    expect(await qemuPid(folders, id)).not.toBe(restartedPid);
    expect(await guestSize(socket)).toEqual({ memoryMb: 2560, vcpus: 1, diskGb: 2 });
    await manager.delete(id);
  }, 120_000);

  it('keeps a grown VM’s size through an agent restart, a live migration to another host and a cold start', async () => {
    const vm = spec('VM', blank, { memoryMb: 512, vcpus: 1, diskGb: 1, network: undefined });
    const id = vm.instanceId;
    await manager.create(vm, true);
    await manager.resize(id, { vcpus: 2, memoryMb: 1024, diskGb: 1 });
    const pid = await qemuPid(folders, id);

    // A restarted agent knows the VM's room and what was plugged into it, and grows it further in place.
    const restartedAgent = agentOn(new InstanceFolders('test-host', dataDir));
    expect(await restartedAgent.status(id)).toMatchObject({ state: 'RUNNING', memoryMb: 1024, vcpus: 2 });
    expect(await restartedAgent.resize(id, { vcpus: 3, memoryMb: 1536, diskGb: 1 })).toMatchObject({ restarted: false });
    expect(await guestSize(await folders.runtimeFile(id, 'qmp.sock'))).toEqual({ memoryMb: 1536, vcpus: 3, diskGb: 1 });
    expect(await qemuPid(folders, id)).toBe(pid);

    // Another host on the same storage receives it live: its QEMU must have the same DIMMs and vCPUs, or the migration fails.
    const otherDataDir = mkdtempSync(path.join(os.tmpdir(), 'awan-agent-b-'));
    const otherFolders = new InstanceFolders('other-host', dataDir, otherDataDir);
    const other = agentOn(otherFolders);
    try {
      await restartedAgent.send(id, await other.receive(id));
      expect(await other.adopt(id, true)).toMatchObject({ state: 'RUNNING', memoryMb: 1536, vcpus: 3 });
      expect(await processGone(pid)).toBe(true);
      const otherSocket = await otherFolders.runtimeFile(id, 'qmp.sock');
      expect(await qmp(otherSocket, 'query-status')).toMatchObject({ status: 'running' });
      expect(await guestSize(otherSocket)).toEqual({ memoryMb: 1536, vcpus: 3, diskGb: 1 });
      // And there it still grows in place.
      expect(await other.resize(id, { vcpus: 4, memoryMb: 2048, diskGb: 1 })).toMatchObject({ restarted: false });
      expect(await guestSize(otherSocket)).toEqual({ memoryMb: 2048, vcpus: 4, diskGb: 1 });

      // Started cold, QEMU boots with the new size and nothing plugged.
      await other.stop(id, true);
      expect(await other.start(id)).toMatchObject({ state: 'RUNNING', memoryMb: 2048, vcpus: 4 });
      expect(await qmp(otherSocket, 'query-memory-size-summary')).toEqual({ 'base-memory': 2048 * MiB, 'plugged-memory': 0 });
      expect(await guestSize(otherSocket)).toEqual({ memoryMb: 2048, vcpus: 4, diskGb: 1 });
    } finally {
      await other.delete(id);
      rmSync(otherDataDir, { recursive: true, force: true });
    }
  }, 120_000);

  it('takes a live migration’s state only from the sender given the key made for it', async () => {
    const vm = spec('VM', blank, { memoryMb: 512, vcpus: 1, diskGb: 1, network: undefined });
    const id = vm.instanceId;
    await manager.create(vm, true);
    const pid = await qemuPid(folders, id);
    const sourceSocket = await folders.runtimeFile(id, 'qmp.sock');
    const migration = () => qmp<{ status?: string }>(sourceSocket, 'query-migrate');
    const otherDataDir = mkdtempSync(path.join(os.tmpdir(), 'awan-agent-b-'));
    const otherFolders = new InstanceFolders('other-host', dataDir, otherDataDir);
    const other = agentOn(otherFolders);
    try {
      const target = await other.receive(id);
      expect(target.key).toMatch(/^[0-9a-f]{64}$/);
      expect(await other.receive(id)).toEqual(target); // asked again, as compute does when an answer is late
      const keyFile = path.join(await otherFolders.runtimeFile(id, 'migration-key'), 'keys.psk');
      expect(statSync(keyFile).mode & 0o777).toBe(0o600);

      // Anyone else on the network who finds the port: a plain migration stream is refused...
      await qmp(sourceSocket, 'migrate', { uri: target.uri });
      expect(await waitUntil(async () => (await migration()).status === 'failed', 30_000)).toBe(true);
      // ...and so is one with another key.
      await expect(manager.send(id, { ...target, key: 'a'.repeat(64) })).rejects.toThrow(/live migration of .* failed/);
      expect(await qmp(sourceSocket, 'query-status')).toMatchObject({ status: 'running' });
      expect(await qemuPid(folders, id)).toBe(pid);
      expect(() => manager.send(id, { ...target, key: 'not a key' })).toThrow(/^key: must be 64 hexadecimal digits/);

      // The target still waits, and takes the VM from the sender with its key.
      await manager.send(id, target);
      expect(await processGone(pid)).toBe(true);
      expect(await other.adopt(id, true)).toMatchObject({ state: 'RUNNING', memoryMb: 512 });
      expect(await qmp(await otherFolders.runtimeFile(id, 'qmp.sock'), 'query-status')).toMatchObject({ status: 'running' });
      // Neither host keeps the key.
      expect(existsSync(keyFile)).toBe(false);
      expect(existsSync(path.join(await folders.runtimeFile(id, 'migration-key'), 'keys.psk'))).toBe(false);
    } finally {
      await other.delete(id);
      rmSync(otherDataDir, { recursive: true, force: true });
    }
  }, 120_000);

  it('restarts a VM an older agent started, which has no record of room, for any growth', async () => {
    const vm = spec('VM', blank, { memoryMb: 512, vcpus: 1, diskGb: 1, network: undefined });
    const id = vm.instanceId;
    await manager.create(vm, true);
    rmSync(folders.file(id, 'qemu-machine.json')); // as an agent before room left it
    const pid = await qemuPid(folders, id);
    expect(await manager.resize(id, { vcpus: 1, memoryMb: 1024, diskGb: 1 })).toMatchObject({ memoryMb: 1024, restarted: true });
    expect(await qemuPid(folders, id)).not.toBe(pid);
    expect(await guestSize(await folders.runtimeFile(id, 'qmp.sock'))).toEqual({ memoryMb: 1024, vcpus: 1, diskGb: 1 });
    // Restarted by this agent, it has room now.
    expect(await manager.resize(id, { vcpus: 2, memoryMb: 2048, diskGb: 1 })).toMatchObject({ restarted: false });
    await manager.delete(id);
  }, 60_000);

  it('hands user data with shell metacharacters to the guest verbatim and writes nothing outside the instance folder', async () => {
    const userData = '#!/bin/sh\necho $(touch /tmp/awan-pwned) `reboot`; cat ../../../etc/shadow > /tmp/awan-pwned\n';
    const vm = spec('VM', blank, { userData, sshKeys: ['ssh-ed25519 AAAA $(reboot)'], network: undefined });
    const before = readdirSync(dataDir);
    await manager.create(vm, false);

    const seed = folders.file(vm.instanceId, 'seed.iso');
    expect(await runProgram('isoinfo', ['-J', '-i', seed, '-x', '/user-data'])).toBe(userData);
    expect(JSON.parse(await runProgram('isoinfo', ['-J', '-i', seed, '-x', '/meta-data']))).toEqual({
      'instance-id': vm.instanceId,
      'local-hostname': vm.name,
      'public-keys': ['ssh-ed25519 AAAA $(reboot)'],
    });
    expect(readdirSync(folders.dir(vm.instanceId)).sort()).toEqual(['disk.qcow2', 'owner', 'seed.iso', 'spec.json']);
    expect(readdirSync(dataDir).filter((entry) => !before.includes(entry))).toEqual(before.includes('instances') ? [] : ['instances']);
    expect(existsSync('/tmp/awan-pwned')).toBe(false);
    await manager.delete(vm.instanceId);
  });
});
