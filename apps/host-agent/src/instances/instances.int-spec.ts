import { randomUUID } from 'node:crypto';
import { existsSync, mkdtempSync, readdirSync, rmSync } from 'node:fs';
import os from 'node:os';
import path from 'node:path';
import type { InstanceSpec } from '#libs/contracts';
import { buildBlankQcow2, buildBusyboxRootfs } from '../images/dev-images.js';
import { probeHost } from '../host/host-probe.js';
import { processGone, runProgram } from '../host/program.js';
import { InstanceFolders } from './instance-folder.js';
import { InstanceManager } from './instance-manager.js';
import { LxcDriver } from './lxc.driver.js';
import { QemuDriver } from './qemu.driver.js';
import { qmp } from './qmp-client.js';
import { tapName } from './host-network.js';

const dataDir = mkdtempSync(path.join(os.tmpdir(), 'awan-agent-'));
const imagesDir = path.join(os.tmpdir(), 'awan-test-images');
const abilities = await probeHost(dataDir);
const root = process.getuid?.() === 0;
const canContainers = abilities.kinds.includes('CONTAINER');
const canVms = abilities.kinds.includes('VM') && root;
if (!canContainers) console.warn(`skipping the LXC container tests: ${abilities.notes.join('; ')}`);
if (!canVms) console.warn(`skipping the QEMU VM tests: ${root ? abilities.notes.join('; ') : 'not root (tap devices need it)'}`);

const folders = new InstanceFolders('test-host', dataDir);
const manager = new InstanceManager(folders, {
  VM: new QemuDriver({ folders, accelerator: abilities.accelerator ?? 'tcg' }),
  CONTAINER: new LxcDriver(folders),
});
const bridge = `awtb${randomUUID().slice(0, 6)}`;
const lxc = (id: string) => ['-P', folders.root, '-n', id];

beforeAll(async () => {
  if (!root) return;
  // The test's own bridge in a documentation range; the host side holds the gateway.
  await runProgram('ip', ['link', 'add', bridge, 'type', 'bridge']);
  await runProgram('ip', ['address', 'add', '192.0.2.1/24', 'dev', bridge]);
  await runProgram('ip', ['link', 'set', bridge, 'up']);
});
afterAll(async () => {
  for (const status of await manager.list()) await manager.delete(status.instanceId);
  if (root) await runProgram('ip', ['link', 'delete', bridge]).catch(() => undefined);
  rmSync(dataDir, { recursive: true, force: true });
});

function spec(kind: InstanceSpec['kind'], location: string, overrides: Partial<InstanceSpec> = {}): InstanceSpec {
  const host = 10 + Math.floor(Math.random() * 200);
  return {
    instanceId: randomUUID(),
    name: `${kind === 'VM' ? 'vm' : 'ct'}-${host}`,
    kind,
    vcpus: 1,
    memoryMb: 128,
    diskGb: 1,
    image: { kind, location },
    network: { bridge, ipv4: `192.0.2.${host}/24`, gateway4: '192.0.2.1' },
    ...overrides,
  };
}

/** What is attached to the test bridge right now. */
async function bridgePorts(): Promise<string[]> {
  const out = await runProgram('ip', ['-o', 'link', 'show', 'master', bridge]);
  return out.split('\n').filter(Boolean).map((line) => line.split(': ')[1].split('@')[0]);
}

(canContainers ? describe : describe.skip)('LXC containers, for real', () => {
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

  it('answers a repeated create with the instance it already made', async () => {
    const container = spec('CONTAINER', rootfs);
    await manager.create(container, true);
    expect(await manager.create({ ...container, memoryMb: 512 }, true)).toMatchObject({ state: 'RUNNING', memoryMb: 128 });
    await manager.delete(container.instanceId);
  });

  it('leaves nothing behind when a create fails', async () => {
    const broken = spec('CONTAINER', path.join(imagesDir, 'no-such-rootfs.tar.gz'));
    await expect(manager.create(broken, true)).rejects.toMatchObject({ code: 'BAD_USER_INPUT', field: 'spec.image.location' });
    expect(existsSync(folders.dir(broken.instanceId))).toBe(false);
  });
});

(canVms ? describe : describe.skip)('QEMU virtual machines, for real', () => {
  let blank: string;
  beforeAll(async () => {
    blank = await buildBlankQcow2(path.join(imagesDir, 'blank.qcow2'));
  });

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

  it('hands user data with shell metacharacters to the guest verbatim and writes nothing outside the instance folder', async () => {
    const userData = '#!/bin/sh\necho $(touch /tmp/awan-pwned) `reboot`; cat ../../../etc/shadow > /tmp/awan-pwned\n';
    const vm = spec('VM', blank, { userData, sshKeys: ['ssh-ed25519 AAAA $(reboot)'], network: undefined });
    const before = readdirSync(dataDir);
    await manager.create(vm, false);

    const seed = folders.file(vm.instanceId, 'seed.iso');
    expect(await runProgram('isoinfo', ['-R', '-i', seed, '-x', '/user-data'])).toBe(userData);
    expect(JSON.parse(await runProgram('isoinfo', ['-R', '-i', seed, '-x', '/meta-data']))).toEqual({
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
