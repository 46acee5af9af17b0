import { randomUUID } from 'node:crypto';
import { existsSync, mkdirSync, mkdtempSync, openSync, readdirSync, readFileSync, rmSync, statSync, writeSync, closeSync } from 'node:fs';
import os from 'node:os';
import path from 'node:path';
import { setTimeout as sleep } from 'node:timers/promises';
import type { AppError, InstanceSpec } from '#libs/contracts';
import { qmp } from '#libs/qmp';
import { describeWithHardware, failureOf, missingHardware, waitFor } from '#libs/testing';
import { probeHost } from '../host/host-probe.js';
import { runProgram } from '../host/program.js';
import { buildBlankQcow2, buildBusyboxRootfs } from '../images/dev-images.js';
import { InstanceFolders } from '../instances/instance-folder.js';
import { InstanceManager } from '../instances/instance-manager.js';
import { LxcDriver } from '../instances/lxc.driver.js';
import { QemuDriver } from '../instances/qemu.driver.js';
import { BackupStore } from './backup-store.js';
import { Backups, backupsFor } from './backups.js';
import { LxcBackups } from './lxc-backups.js';
import { QemuBackups } from './qemu-backups.js';

const dataDir = mkdtempSync(path.join(os.tmpdir(), 'awan-backup-'));
// The region's store: apart from the instance storage, as BACKUP_STORE_DIR must be.
const storeDir = mkdtempSync(path.join(os.tmpdir(), 'awan-backup-store-'));
const imagesDir = path.join(os.tmpdir(), 'awan-test-images');
const abilities = await probeHost(dataDir);
const containersMissing = abilities.kinds.includes('CONTAINER') ? null : abilities.notes.join('; ');
const vmsMissing = abilities.kinds.includes('VM') ? null : abilities.notes.join('; ');

const folders = new InstanceFolders('test-host', dataDir);
const vms = new QemuDriver({ folders, accelerator: abilities.accelerator ?? 'tcg', host: { vcpus: 8, memoryMb: 16 * 1024 } });
const manager = new InstanceManager(folders, { VM: vms, CONTAINER: new LxcDriver(folders) }, { stopTimeoutMs: 1000 });
const store = new BackupStore(storeDir, 'test-host', path.join(dataDir, 'backup-work'));
const backups = backupsFor(manager, store);

afterAll(async () => {
  for (const status of await manager.list()) await manager.delete(status.instanceId);
  rmSync(dataDir, { recursive: true, force: true });
  rmSync(storeDir, { recursive: true, force: true });
});

function spec(kind: InstanceSpec['kind'], location: string, diskGb = 1): InstanceSpec {
  return { instanceId: randomUUID(), name: kind === 'VM' ? 'vm-backup' : 'ct-backup', kind, vcpus: 1, memoryMb: 128, diskGb, image: { kind, location } };
}

/** Flips one byte in the middle of a stored backup's file, as a failing disk would. */
function corrupt(file: string): void {
  const size = readFileSync(file).length;
  const fd = openSync(file, 'r+');
  const byte = Buffer.alloc(1);
  byte[0] = readFileSync(file)[Math.floor(size / 2)] ^ 0xff;
  writeSync(fd, byte, 0, 1, Math.floor(size / 2));
  closeSync(fd);
}

const storedFile = (backupId: string) => readdirSync(path.join(storeDir, backupId)).find((f) => f.endsWith('.zst'))!;

describeWithHardware('backups of LXC containers into the backup store, for real', containersMissing, () => {
  let rootfs: string;
  beforeAll(async () => {
    rootfs = await buildBusyboxRootfs(path.join(imagesDir, 'busybox-rootfs.tar.gz'));
  });

  const lxc = (id: string) => ['-P', folders.root, '-n', id];
  const inside = (id: string, script: string) => runProgram('lxc-attach', [...lxc(id), '--', '/bin/sh', '-c', script]);
  const lxcState = async (id: string) => (await runProgram('lxc-info', [...lxc(id), '-s', '-H'])).trim();
  /** A running container holding `noiseMb` of random data, so that its archive takes a while: its id. */
  const runningWithNoise = async (noiseMb: number) => {
    const container = spec('CONTAINER', rootfs);
    await manager.create(container, true);
    await inside(container.instanceId, `dd if=/dev/urandom of=/root/noise bs=1M count=${noiseMb} 2>/dev/null`);
    return container.instanceId;
  };
  /** The zstd writing a backup's archive (a child of this process), once it runs. */
  const archiver = async () =>
    Number(await waitFor(async () => (await runProgram('pgrep', ['-P', String(process.pid), '-x', 'zstd']).catch(() => '')).trim() || null, 30_000, 'the archive to be written'));

  it('archives a running container frozen only meanwhile, compressed and checksummed beside its spec; restores it in place (owners, extended attributes, ACLs and sparse files as they were) and onto a new container; refuses a corrupted one', async () => {
    const container = spec('CONTAINER', rootfs);
    const id = container.instanceId;
    await manager.create(container, true);
    await inside(id, 'echo first > /root/marker');
    // What a rootfs holds beside its files' bytes, made from the host: an owner this host has no name
    // for, an extended attribute, an ACL, a folder's default ACL, and a sparse file.
    const root = folders.file(id, 'rootfs');
    const [marker, shared, sparse] = ['root/marker', 'srv/shared', 'srv/sparse'].map((file) => path.join(root, file));
    await runProgram('chown', ['123456:123457', marker]);
    await runProgram('setfattr', ['-n', 'user.origin', '-v', 'awan', marker]);
    await runProgram('setfacl', ['-m', 'u:1234:rw', marker]);
    mkdirSync(shared, { recursive: true });
    await runProgram('setfacl', ['-d', '-m', 'u:1234:rx', shared]);
    await runProgram('truncate', ['-s', '64M', sparse]);

    const backupId = randomUUID();
    const taken = await backups.create({ backupId, instanceId: id });
    expect(await lxcState(id)).toBe('RUNNING'); // thawed
    expect(taken.sizeMb).toBeGreaterThan(0);
    expect(await backups.create({ backupId, instanceId: id })).toEqual(taken); // asked again, the same

    // In the store, never the instance storage: the zstd file, its checksum for sha256sum -c, and the spec.
    const folder = path.join(storeDir, backupId);
    expect(readdirSync(folder).sort()).toEqual(['SHA256SUMS', 'manifest.json', 'rootfs.tar.zst']);
    expect(readFileSync(path.join(folder, 'rootfs.tar.zst')).subarray(0, 4)).toEqual(Buffer.from([0x28, 0xb5, 0x2f, 0xfd]));
    const [sum] = (await runProgram('sha256sum', [path.join(folder, 'rootfs.tar.zst')])).split(' ');
    expect(readFileSync(path.join(folder, 'SHA256SUMS'), 'utf8')).toBe(`${sum}  rootfs.tar.zst\n`);
    expect(sum).toBe(taken.sha256);
    const manifest = JSON.parse(readFileSync(path.join(folder, 'manifest.json'), 'utf8'));
    expect(manifest).toMatchObject({ backupId, instanceId: id, kind: 'CONTAINER', sha256: taken.sha256, spec: { instanceId: id, name: 'ct-backup' } });
    expect(readdirSync(folders.dir(id))).not.toContain(backupId);

    // In place, only onto a stopped container: the marker as it was, what came later gone.
    await inside(id, 'echo second > /root/marker; echo new > /root/later');
    await expect(backups.restore({ backupId, instanceId: id, restoreKey: 'r1' })).rejects.toMatchObject({ code: 'CONFLICT' });
    await manager.stop(id, true);
    // What an agent stopped while removing a replaced rootfs left behind.
    mkdirSync(path.join(folders.dir(id), 'rootfs.replaced-left', 'root'), { recursive: true });
    expect(await backups.restore({ backupId, instanceId: id, restoreKey: 'r1' })).toEqual({ backupId, restored: true });
    // The rootfs it replaced, and the one left behind, are removed after the answer.
    const rootfsTrees = () => readdirSync(folders.dir(id)).filter((f) => f.startsWith('rootfs'));
    await waitFor(() => rootfsTrees().length === 1, 10_000, 'the replaced rootfs trees to be removed');
    expect(rootfsTrees()).toEqual(['rootfs']);
    expect(statSync(marker)).toMatchObject({ uid: 123456, gid: 123457 });
    expect(await runProgram('getfattr', ['--only-values', '-n', 'user.origin', marker])).toBe('awan');
    expect(await runProgram('getfacl', ['-n', '-c', marker])).toContain('user:1234:rw-');
    expect(await runProgram('getfacl', ['-n', '-c', shared])).toContain('default:user:1234:r-x');
    expect(statSync(sparse).size).toBe(64 * 1024 ** 2);
    expect(statSync(sparse).blocks).toBeLessThan(2048); // under 1 MiB of it on disk
    await manager.start(id);
    expect((await inside(id, 'cat /root/marker')).trim()).toBe('first');
    expect((await inside(id, 'ls /root')).trim()).toBe('marker');
    // Asked again after the start, it answers what it did and writes nothing.
    expect(await backups.restore({ backupId, instanceId: id, restoreKey: 'r1' })).toEqual({ backupId, restored: true });

    // A new container's first rootfs, as a restore as a new instance makes it.
    const copy = spec('CONTAINER', rootfs);
    await manager.create(copy, false);
    expect(await backups.restore({ backupId, instanceId: copy.instanceId, restoreKey: 'seed' })).toEqual({ backupId, restored: true });
    await manager.start(copy.instanceId);
    expect((await inside(copy.instanceId, 'cat /root/marker')).trim()).toBe('first');
    await manager.delete(copy.instanceId);

    // A corrupted file is refused before anything of the instance changes.
    await inside(id, 'echo changed > /root/marker');
    await manager.stop(id, true);
    corrupt(path.join(folder, storedFile(backupId)));
    const refused = await backups.restore({ backupId, instanceId: id, restoreKey: 'r2' });
    expect(refused).toMatchObject({ backupId, restored: false, corrupt: expect.stringContaining('checksum mismatch') });
    await manager.start(id);
    expect((await inside(id, 'cat /root/marker')).trim()).toBe('changed');
    expect(readdirSync(folders.dir(id)).filter((f) => f.startsWith('rootfs'))).toEqual(['rootfs']);

    expect(await backups.delete({ backupId })).toEqual({ backupId });
    expect(existsSync(folder)).toBe(false);
    expect(await backups.delete({ backupId })).toEqual({ backupId });
    await manager.delete(id);
  }, 180_000);

  it('never leaves a half-written backup in place: a backup whose archiver dies is no backup, and what a killed agent left is swept and its container thawed', async () => {
    const id = await runningWithNoise(192);
    const backupId = randomUUID();
    const creating = backups.create({ backupId, instanceId: id });
    creating.catch(() => undefined);
    const partial = path.join(storeDir, '.partial', `${backupId}.test-host`);
    // Opened before tar starts: some of it written, tar is under way.
    await waitFor(() => existsSync(path.join(partial, 'rootfs.tar.zst')) && statSync(path.join(partial, 'rootfs.tar.zst')).size > 0, 30_000, 'the archive to be written');
    // The archiver killed mid-way, as a host's crash would: tar ends, zstd would close a valid but short archive.
    await runProgram('pkill', ['-KILL', '-f', `directory ${folders.file(id, 'rootfs')} `]);
    await expect(creating).rejects.toBeDefined();
    expect(await store.manifest(backupId)).toBeNull();
    expect(existsSync(path.join(storeDir, backupId))).toBe(false);
    expect(existsSync(partial)).toBe(false);
    expect(await lxcState(id)).toBe('RUNNING');

    // An agent killed while the container was frozen and its archive half-written: the next agent's sweep.
    const left = randomUUID();
    await store.begin(left);
    await runProgram('lxc-freeze', lxc(id));
    await backupsFor(manager, store).sweep();
    expect(readdirSync(path.join(storeDir, '.partial'))).toEqual([]);
    expect(await lxcState(id)).toBe('RUNNING');

    // Asked again, the backup is written whole.
    const taken = await backups.create({ backupId, instanceId: id });
    expect(taken.sizeMb).toBeGreaterThanOrEqual(192);
    expect(await store.manifest(backupId)).toMatchObject({ sha256: taken.sha256 });
    await backups.delete({ backupId });
    await manager.delete(id);
  }, 180_000);

  it("leaves a container frozen for a backup under way as the agent's start thaws those left frozen", async () => {
    const id = await runningWithNoise(64);
    const backupId = randomUUID();
    const creating = backups.create({ backupId, instanceId: id });
    // The archive held mid-way (its writer stopped) while the sweep runs, as at an agent's start.
    const zstd = await archiver();
    process.kill(zstd, 'SIGSTOP');
    await backupsFor(manager, null).sweep();
    expect(await lxcState(id)).toBe('FROZEN');
    process.kill(zstd, 'SIGCONT');
    expect((await creating).sizeMb).toBeGreaterThanOrEqual(64);
    expect(await lxcState(id)).toBe('RUNNING');
    await backups.delete({ backupId });
    await manager.delete(id);
  }, 180_000);

  it('thaws a container whose archive the backup store stops taking, and fails that backup', async () => {
    // A window of two seconds, where the agent's is a minute.
    const watched = new Backups(manager, store, { VM: new QemuBackups(folders), CONTAINER: new LxcBackups(folders, { windowMs: 2000, minBytes: 1 }) });
    const id = await runningWithNoise(192);
    const backupId = randomUUID();
    const creating = watched.create({ backupId, instanceId: id });
    creating.catch(() => undefined);
    // The store stops taking data: its writer, zstd, is stopped, as one blocked on a hung share is.
    process.kill(await archiver(), 'SIGSTOP');
    expect(await lxcState(id)).toBe('FROZEN');
    const stoppedAt = Date.now();
    await expect(creating).rejects.toMatchObject({ code: 'INTERNAL', message: expect.stringContaining('the backup store took too little of the archive') });
    expect(Date.now() - stoppedAt).toBeLessThan(10_000);
    expect(await lxcState(id)).toBe('RUNNING');
    expect(await store.manifest(backupId)).toBeNull();
    expect(existsSync(path.join(storeDir, '.partial', `${backupId}.test-host`))).toBe(false);

    // Asked again with the store taking data, the backup is written whole.
    const taken = await watched.create({ backupId, instanceId: id });
    expect(taken.sizeMb).toBeGreaterThanOrEqual(192);
    await backups.delete({ backupId });
    await manager.delete(id);
  }, 180_000);

  it('answers a full backup store with a clear refusal, and keeps answering', async () => {
    const small = mkdtempSync(path.join(os.tmpdir(), 'awan-full-store-'));
    await runProgram('mount', ['-t', 'tmpfs', '-o', 'size=256k', 'tmpfs', small]);
    try {
      const full = backupsFor(manager, new BackupStore(small, 'test-host', path.join(dataDir, 'backup-work')));
      const container = spec('CONTAINER', rootfs);
      await manager.create(container, true);
      const backupId = randomUUID();
      await expect(full.create({ backupId, instanceId: container.instanceId })).rejects.toMatchObject({
        code: 'CONFLICT', message: expect.stringContaining(`no space left for the backup (backup store ${small}`),
      });
      expect(readdirSync(small).filter((f) => f !== '.partial')).toEqual([]);
      expect(await lxcState(container.instanceId)).toBe('RUNNING');
      // The agent goes on: the same container backs up into a store with room.
      expect((await backups.create({ backupId, instanceId: container.instanceId })).sizeMb).toBeGreaterThan(0);
      await backups.delete({ backupId });
      await manager.delete(container.instanceId);
    } finally {
      await runProgram('umount', [small]);
      rmSync(small, { recursive: true, force: true });
    }
  }, 120_000);

  it('refuses ids that are not UUIDs before they reach a path, and a host without a store', async () => {
    for (const backupId of ['../x', '', 'A0C4D8F2-0000-4000-8000-000000000001']) {
      await expect(backups.create({ backupId, instanceId: randomUUID() })).rejects.toMatchObject({ code: 'BAD_USER_INPUT', field: 'backupId' });
      await expect(backups.delete({ backupId })).rejects.toMatchObject({ code: 'BAD_USER_INPUT', field: 'backupId' });
    }
    await expect(backups.create({ backupId: randomUUID(), instanceId: randomUUID() })).rejects.toMatchObject({ code: 'NOT_FOUND' });
    await expect(backupsFor(manager, null).create({ backupId: randomUUID(), instanceId: randomUUID() })).rejects.toMatchObject({
      code: 'CONFLICT', message: expect.stringContaining('BACKUP_STORE_DIR'),
    });
  });
});

describeWithHardware('a backup store that hangs, as a share cut off does (bindfs over FUSE, its daemon stopped)', missingHardware({ root: true, fuse: true }), () => {
  it("holds none of the agent's threads: its own file reads answer, each backup command is UNAVAILABLE naming the store, the sweep at its start ends, and once the store answers it goes on", async () => {
    const source = mkdtempSync(path.join(os.tmpdir(), 'awan-store-source-'));
    const mount = mkdtempSync(path.join(os.tmpdir(), 'awan-store-'));
    await runProgram('bindfs', [source, mount]);
    const daemon = Number((await runProgram('pgrep', ['-f', '-x', `bindfs ${source} ${mount}`])).trim());
    const hung = backupsFor(manager, new BackupStore(mount, 'test-host', path.join(dataDir, 'backup-work')));
    try {
      process.kill(daemon, 'SIGSTOP');
      const asked = Date.now();
      // More commands than Node has threads for file calls (four), each for a backup of its own.
      const commands = Array.from({ length: 8 }, () => failureOf<AppError>(hung.create({ backupId: randomUUID(), instanceId: randomUUID() })));
      // Meanwhile the agent reads its instances' folders, as each heartbeat does.
      const listed = await Promise.race([manager.list().then(() => Date.now() - asked), sleep(5000).then(() => 'no answer in 5 s')]);
      expect(listed).toBeLessThan(1000);
      for (const error of await Promise.all(commands)) {
        expect(error).toMatchObject({ code: 'UNAVAILABLE', message: expect.stringContaining(`the backup store ${mount} does not answer`) });
      }
      expect(Date.now() - asked).toBeLessThan(20_000);
      const sweeping = Date.now();
      await hung.sweep();
      expect(Date.now() - sweeping).toBeLessThan(20_000);

      process.kill(daemon, 'SIGCONT');
      const backupId = randomUUID();
      expect(await hung.delete({ backupId })).toEqual({ backupId });
    } finally {
      process.kill(daemon, 'SIGCONT');
      await runProgram('umount', [mount]);
      rmSync(mount, { recursive: true, force: true });
      rmSync(source, { recursive: true, force: true });
    }
  }, 60_000);
});

describeWithHardware('backups of QEMU virtual machines into the backup store, for real', vmsMissing, () => {
  let blank: string;
  beforeAll(async () => {
    blank = await buildBlankQcow2(path.join(imagesDir, 'blank.qcow2'));
  });

  const disk = (id: string) => folders.file(id, 'disk.qcow2');
  const write = (id: string, pattern: string, offset = '0') => runProgram('qemu-io', ['-f', 'qcow2', '-c', `write -P ${pattern} ${offset} 4M`, disk(id)]);
  /** Whether 4 MB of the disk are all `pattern`: qemu-io compares every byte. */
  const holds = (id: string, pattern: string, offset = '0') =>
    runProgram('qemu-io', ['-f', 'qcow2', '-c', `read -P ${pattern} ${offset} 4M`, disk(id)]).then(() => true, () => false);

  it("copies a running VM's disk through QEMU's backup job as the guest runs on, a stopped one's with qemu-img; restores byte for byte, grown to the plan; refuses a corrupted one", async () => {
    const vm = spec('VM', blank);
    const id = vm.instanceId;
    await manager.create(vm, false);
    await write(id, '0xa1');
    await manager.start(id);
    const socket = await folders.runtimeFile(id, 'qmp.sock');

    const running = randomUUID();
    const taken = await backups.create({ backupId: running, instanceId: id });
    expect(await qmp(socket, 'query-status')).toMatchObject({ status: 'running' });
    expect(await qmp(socket, 'query-jobs')).toEqual([]); // the job dismissed
    expect(storedFile(running)).toBe('disk.qcow2.zst');
    expect(taken.sizeMb).toBeGreaterThanOrEqual(1); // 4 MB of one byte compress well; the working copy is gone
    expect(existsSync(path.join(dataDir, 'backup-work', running))).toBe(false);

    await manager.stop(id, true);
    await write(id, '0xb2');
    const stopped = randomUUID();
    await backups.create({ backupId: stopped, instanceId: id });

    // In place: the disk as it was when each was taken.
    expect(await backups.restore({ backupId: running, instanceId: id, restoreKey: 'r1' })).toEqual({ backupId: running, restored: true });
    expect(await holds(id, '0xa1')).toBe(true);
    await backups.restore({ backupId: stopped, instanceId: id, restoreKey: 'r2' });
    expect(await holds(id, '0xb2')).toBe(true);
    // A whole disk, without the image as its backing file.
    expect(JSON.parse(await runProgram('qemu-img', ['info', '--output=json', disk(id)]))['backing-filename']).toBeUndefined();

    // Onto a new VM with a larger plan: the data, and the larger disk.
    const larger = spec('VM', blank, 2);
    await manager.create(larger, false);
    await backups.restore({ backupId: running, instanceId: larger.instanceId, restoreKey: 'seed' });
    expect(await holds(larger.instanceId, '0xa1')).toBe(true);
    expect(JSON.parse(await runProgram('qemu-img', ['info', '--output=json', disk(larger.instanceId)]))['virtual-size']).toBe(2 * 1024 ** 3);
    await manager.start(larger.instanceId);
    await manager.delete(larger.instanceId);

    corrupt(path.join(storeDir, running, storedFile(running)));
    expect(await backups.restore({ backupId: running, instanceId: id, restoreKey: 'r3' })).toMatchObject({ restored: false, corrupt: expect.stringContaining('checksum mismatch') });
    expect(await holds(id, '0xb2')).toBe(true); // untouched
    expect(readdirSync(folders.dir(id)).filter((f) => f.startsWith('disk'))).toEqual(['disk.qcow2']);

    await backups.delete({ backupId: running });
    await backups.delete({ backupId: stopped });
    await manager.delete(id);
  }, 180_000);

  it("cancels a backup job a killed agent left in the VM's QEMU before starting the next", async () => {
    const vm = spec('VM', blank);
    const id = vm.instanceId;
    await manager.create(vm, true);
    const socket = await folders.runtimeFile(id, 'qmp.sock');
    const backupId = randomUUID();
    // What a dead agent leaves: QEMU's job under the backup's name, its target half-written.
    mkdirSync(path.join(dataDir, 'left'), { recursive: true });
    await qmp(socket, 'drive-backup', { 'job-id': `backup-${backupId}`, device: 'disk0', target: path.join(dataDir, 'left', 'copy.qcow2'), format: 'qcow2', sync: 'full', 'auto-dismiss': false, speed: 1024 });
    expect(await qmp<{ id: string }[]>(socket, 'query-jobs')).toEqual([expect.objectContaining({ id: `backup-${backupId}` })]);
    const taken = await backups.create({ backupId, instanceId: id });
    expect(taken.sizeMb).toBeGreaterThanOrEqual(0);
    expect(await store.manifest(backupId)).toMatchObject({ sha256: taken.sha256 });
    expect(await qmp(socket, 'query-jobs')).toEqual([]);
    await backups.delete({ backupId });
    await manager.delete(id);
  }, 120_000);
});
