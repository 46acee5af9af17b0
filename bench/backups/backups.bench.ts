// Backups' throughput: the host agent's backup and restore (apps/host-agent/src/backups) of a
// stopped VM's 1 GiB disk and a stopped container's 1 GiB rootfs, beside the raw tools doing the
// same with the same data in the same run, interleaved:
//   VM backup          the agent (qemu-img convert to a qcow2 working copy, zstd -T0, sha256 into the store)
//                      against qemu-img convert -O raw to a working file, then zstd -T0 of it
//   VM restore         the agent (zstd -d while hashing, qemu-img info, rename) against zstd -d to a raw
//                      file, then qemu-img convert -O qcow2 of it
//   container backup   the agent (tar with owners, xattrs (ACLs among them), sparse | zstd -T0, sha256) against tar -c | zstd -T0
//   container restore  the agent (zstd -d | tar -x beside the rootfs while hashing, then the swap; the
//                      old rootfs is removed after it answers, untimed as the raw side's) against
//                      zstd -d | tar -x into a new folder
// qemu-img (7.2) reads and writes only regular files (a pipe is refused: "'file' driver requires
// '/dev/stdout' to be a regular file"), so the raw VM paths go through a working file, as the agent's do.
// The data is realistic: of the disk, 35% random bytes (media, encrypted), 45% this machine's own
// binaries, libraries and text, 20% zeros (free space); of the rootfs, 60% copies of this
// machine's files (about 17,000, shuffled) and 40% random files of 64 KiB–16 MiB.
// MB/s is of the instance's 1 GiB (10^6 bytes a MB) over the median of BENCH_RUNS runs (default 5);
// the ratio is the agent's MB/s over the raw tools', the median of each run's; the issue's aim is at least 0.8.
// Needs root, LXC, qemu-img, zstd and tar. Page cache warm for both sides. Prints JSON last.
// Usage: npm run bench:backups
import { spawn, type ChildProcess } from 'node:child_process';
import { randomBytes, randomUUID } from 'node:crypto';
import { mkdtempSync, rmSync } from 'node:fs';
import { copyFile, mkdir, open, readdir, readFile, rm, stat, writeFile } from 'node:fs/promises';
import os from 'node:os';
import path from 'node:path';
import { setTimeout as sleep } from 'node:timers/promises';
import type { InstanceSpec } from '#libs/contracts';
import { BackupStore } from '../../apps/host-agent/src/backups/backup-store.js';
import { backupsFor } from '../../apps/host-agent/src/backups/backups.js';
import { machineSize, probeHost } from '../../apps/host-agent/src/host/host-probe.js';
import { runProgram } from '../../apps/host-agent/src/host/program.js';
import { buildBlankQcow2, buildBusyboxRootfs } from '../../apps/host-agent/src/images/dev-images.js';
import { InstanceFolders } from '../../apps/host-agent/src/instances/instance-folder.js';
import { InstanceManager } from '../../apps/host-agent/src/instances/instance-manager.js';
import { LxcDriver } from '../../apps/host-agent/src/instances/lxc.driver.js';
import { QemuDriver } from '../../apps/host-agent/src/instances/qemu.driver.js';

const RUNS = Number(process.env.BENCH_RUNS ?? 5);
const AIM = 0.8;
const MiB = 1024 ** 2;
const SIZE = 1024 * MiB;
/** No raw tool runs longer than this. */
const PROGRAM_TIMEOUT_MS = 10 * 60_000;
/** Where the real files come from. */
const SYSTEM_FOLDERS = ['/usr/lib/x86_64-linux-gnu', '/usr/bin', '/usr/share'];
const log = (line: string) => console.error(`bench/backups: ${line}`);
const round = (n: number, places = 2) => Math.round(n * 10 ** places) / 10 ** places;

const tmp = mkdtempSync(path.join(os.tmpdir(), 'awan-bench-backups-'));
const dataDir = path.join(tmp, 'data');
const rawDir = path.join(tmp, 'raw');
const abilities = await probeHost(tmp);
if (process.getuid?.() !== 0 || !abilities.kinds.includes('CONTAINER') || !abilities.kinds.includes('VM')) {
  console.error(`bench/backups needs root, LXC and QEMU: ${abilities.notes.join('; ') || 'not root'}`);
  rmSync(tmp, { recursive: true, force: true });
  process.exit(1);
}
const folders = new InstanceFolders('bench', dataDir);
const manager = new InstanceManager(folders, {
  VM: new QemuDriver({ folders, accelerator: abilities.accelerator!, host: machineSize() }),
  CONTAINER: new LxcDriver(folders),
});
// The region's store apart from the instance storage, as BACKUP_STORE_DIR is (here on the same disk).
const backups = backupsFor(manager, new BackupStore(path.join(tmp, 'store'), 'bench', path.join(dataDir, 'backup-work')));

/** A seeded generator (mulberry32): the same files in the same order on every run. */
function seeded(seed: number): () => number {
  return () => {
    seed = (seed + 0x6d2b79f5) | 0;
    let t = Math.imul(seed ^ (seed >>> 15), 1 | seed);
    t = (t + Math.imul(t ^ (t >>> 7), 61 | t)) ^ t;
    return ((t ^ (t >>> 14)) >>> 0) / 2 ** 32;
  };
}

/** This machine's regular files under SYSTEM_FOLDERS, shuffled (seeded): binaries, libraries and text mixed. */
async function systemFiles(): Promise<string[]> {
  const files: string[] = [];
  for (const folder of SYSTEM_FOLDERS) {
    for (const entry of await readdir(folder, { recursive: true, withFileTypes: true })) {
      if (entry.isFile()) files.push(path.join(entry.parentPath, entry.name));
    }
  }
  files.sort();
  const random = seeded(17);
  for (let i = files.length - 1; i > 0; i--) {
    const j = Math.floor(random() * (i + 1));
    [files[i], files[j]] = [files[j], files[i]];
  }
  return files;
}

/** The bytes of `files`, one after another, in blocks of `size`. */
async function* blocksOf(files: string[], size: number): AsyncGenerator<Buffer> {
  let pending = Buffer.alloc(0);
  for (const file of files) {
    const content = await readFile(file).catch(() => null);
    if (!content) continue;
    pending = Buffer.concat([pending, content]);
    while (pending.length >= size) {
      yield pending.subarray(0, size);
      pending = pending.subarray(size);
    }
  }
  throw new Error(`${SYSTEM_FOLDERS.join(', ')} hold too little to fill the bench's data`);
}

/** A 1 GiB raw disk, block by block: 7 of 20 random, 9 of 20 this machine's files, 4 of 20 zeros. */
async function writeDiskData(target: string, files: string[]): Promise<void> {
  const real = blocksOf(files, MiB);
  const zeros = Buffer.alloc(MiB);
  const handle = await open(target, 'wx');
  try {
    for (let i = 0; i < SIZE / MiB; i++) {
      const kind = i % 20;
      const block = kind < 7 ? randomBytes(MiB) : kind < 16 ? (await real.next()).value! : zeros;
      await handle.write(block);
    }
  } finally {
    await handle.close();
  }
}

/** 1 GiB of files under `root`/srv: 60% copies of this machine's files, the rest random files of 64 KiB–16 MiB. */
async function writeRootfsData(root: string, files: string[]): Promise<number> {
  let bytes = 0;
  let count = 0;
  for (const file of files) {
    if (bytes >= 0.6 * SIZE) break;
    const size = await stat(file).then((s) => s.size, () => null);
    if (size === null || bytes + size > 0.6 * SIZE) continue;
    const target = path.join(root, 'srv', 'files', path.relative('/usr', file));
    await mkdir(path.dirname(target), { recursive: true });
    await copyFile(file, target);
    bytes += size;
    count++;
  }
  await mkdir(path.join(root, 'srv', 'media'));
  const random = seeded(29);
  while (bytes < SIZE) {
    const size = Math.min(SIZE - bytes, 64 * 1024 + Math.floor(random() * (16 * MiB - 64 * 1024)));
    await writeFile(path.join(root, 'srv', 'media', `${count}.bin`), randomBytes(size));
    bytes += size;
    count++;
  }
  return count;
}

/** Resolves once `child` exited 0; rejects naming it otherwise. */
function exited(child: ChildProcess, what: string): Promise<void> {
  return new Promise((resolve, reject) => {
    child.on('error', reject);
    child.on('close', (code, signal) => (code === 0 ? resolve() : reject(new Error(`${what} failed (${code ?? signal})`))));
  });
}

/**
 * `first | second`, as a shell would run it: the kernel's pipe joins them, never this process.
 * Argument vectors only; each program is killed past PROGRAM_TIMEOUT_MS.
 */
async function pipe(first: [string, string[]], second: [string, string[]]): Promise<void> {
  const options = { timeout: PROGRAM_TIMEOUT_MS, killSignal: 'SIGKILL' as const };
  const writer = spawn(first[0], first[1], { ...options, stdio: ['ignore', 'pipe', 'inherit'] });
  const reader = spawn(second[0], second[1], { ...options, stdio: [writer.stdout!, 'ignore', 'inherit'] });
  // The pipe is the two programs' now: this process keeps no end of it.
  writer.stdout!.destroy();
  await Promise.all([exited(writer, first[0]), exited(reader, second[0])]);
}

const program = (name: string, args: string[]) => runProgram(name, args, { timeoutMs: PROGRAM_TIMEOUT_MS });

/** Seconds `work` took, its writes flushed before (so one's writeback is not the next one's time). */
async function timed(work: () => Promise<unknown>): Promise<number> {
  await program('sync', []);
  const started = process.hrtime.bigint();
  await work();
  return Number(process.hrtime.bigint() - started) / 1e9;
}

const median = (values: number[]) => [...values].sort((a, b) => a - b)[Math.floor(values.length / 2)];
const megabytesPerSecond = (seconds: number) => round(SIZE / 1e6 / seconds, 1);

function spec(kind: InstanceSpec['kind'], location: string): InstanceSpec {
  return { instanceId: randomUUID(), name: `bench-${kind.toLowerCase()}`, kind, vcpus: 1, memoryMb: 256, diskGb: 1, image: { kind, location } };
}

type Step = 'vmBackup' | 'vmRestore' | 'containerBackup' | 'containerRestore';
const samples: Record<Step, { awan: number[]; raw: number[] }> = {
  vmBackup: { awan: [], raw: [] }, vmRestore: { awan: [], raw: [] }, containerBackup: { awan: [], raw: [] }, containerRestore: { awan: [], raw: [] },
};
const compressed = { vm: { awan: 0, raw: 0 }, container: { awan: 0, raw: 0 } };

/**
 * The agent's and the raw tools' run of one step, in turns (the raw tools first on odd runs);
 * `settled`, untimed after the agent's side, waits for what it still does after answering.
 */
async function both(step: Step, run: number, awan: () => Promise<unknown>, raw: () => Promise<unknown>, settled = async () => {}): Promise<void> {
  const order = run % 2 === 0 ? (['awan', 'raw'] as const) : (['raw', 'awan'] as const);
  for (const side of order) {
    // Each side starts with nothing of the one before still to be written back: the first of each run waited on it.
    await program('sync', []);
    samples[step][side].push(await timed(side === 'awan' ? awan : raw));
    if (side === 'awan') await settled();
  }
  log(`run ${run + 1} ${step}: awan ${round(samples[step].awan.at(-1)!)} s, raw ${round(samples[step].raw.at(-1)!)} s`);
}

try {
  const vm = spec('VM', await buildBlankQcow2(path.join(folders.images, 'blank.qcow2')));
  const container = spec('CONTAINER', await buildBusyboxRootfs(path.join(folders.images, 'busybox-rootfs.tar.gz')));
  await mkdir(rawDir);
  const files = await systemFiles();

  log('writing the VM disk: 1 GiB, through a raw file into its qcow2 overlay');
  await manager.create(vm, false);
  const disk = folders.file(vm.instanceId, 'disk.qcow2');
  const source = path.join(tmp, 'source.raw');
  await writeDiskData(source, files);
  await program('qemu-img', ['convert', '-n', '-f', 'raw', '-O', 'qcow2', source, disk]);

  log('writing the container rootfs: 1 GiB of files');
  await manager.create(container, false);
  const rootfs = folders.file(container.instanceId, 'rootfs');
  const fileCount = await writeRootfsData(rootfs, files);

  const rawWork = path.join(rawDir, 'work.raw');
  const rawVm = path.join(rawDir, 'disk.raw.zst');
  const rawQcow2 = path.join(rawDir, 'restored.qcow2');
  const rawTar = path.join(rawDir, 'rootfs.tar.zst');
  const rawRootfs = path.join(rawDir, 'rootfs');
  for (let run = 0; run < RUNS; run++) {
    const vmBackup = randomUUID();
    await both('vmBackup', run, () => backups.create({ backupId: vmBackup, instanceId: vm.instanceId }), async () => {
      await program('qemu-img', ['convert', '-f', 'qcow2', '-O', 'raw', disk, rawWork]);
      await program('zstd', ['-q', '-T0', '-f', '-o', rawVm, '--', rawWork]);
      await rm(rawWork);
    });
    await both('vmRestore', run, () => backups.restore({ backupId: vmBackup, instanceId: vm.instanceId, restoreKey: randomUUID() }), async () => {
      await program('zstd', ['-d', '-q', '-f', '-o', rawWork, '--', rawVm]);
      await program('qemu-img', ['convert', '-f', 'raw', '-O', 'qcow2', rawWork, rawQcow2]);
      await rm(rawWork);
    });
    compressed.vm = { awan: (await stat(path.join(tmp, 'store', vmBackup, 'disk.qcow2.zst'))).size, raw: (await stat(rawVm)).size };

    const containerBackup = randomUUID();
    await both('containerBackup', run, () => backups.create({ backupId: containerBackup, instanceId: container.instanceId }), () =>
      pipe(['tar', ['--create', '--file=-', '--directory', rootfs, '.']], ['zstd', ['-q', '-T0', '-f', '-o', rawTar]]));
    await mkdir(rawRootfs);
    await both('containerRestore', run, () => backups.restore({ backupId: containerBackup, instanceId: container.instanceId, restoreKey: randomUUID() }), () =>
      pipe(['zstd', ['-d', '-q', '-c', '--', rawTar]], ['tar', ['--extract', '--file=-', '--same-permissions', '--same-owner', '--directory', rawRootfs]]),
      // The rootfs it replaced, removed after the answer, as the raw side's is after the run.
      async () => {
        while ((await readdir(folders.dir(container.instanceId))).some((entry) => entry.startsWith('rootfs.replaced'))) await sleep(50);
      });
    compressed.container = { awan: (await stat(path.join(tmp, 'store', containerBackup, 'rootfs.tar.zst'))).size, raw: (await stat(rawTar)).size };

    await backups.delete({ backupId: vmBackup });
    await backups.delete({ backupId: containerBackup });
    await rm(rawDir, { recursive: true });
    await mkdir(rawDir);
  }
  // What was restored is what was written: qemu-img compares every byte.
  await program('qemu-img', ['compare', '-q', '-f', 'raw', '-F', 'qcow2', source, disk]);

  const result = Object.fromEntries(
    Object.entries(samples).map(([step, { awan, raw }]) => {
      // Each run's two sides ran back to back: their ratio is steadier than that of two medians on a busy machine.
      const ratio = round(median(awan.map((seconds, run) => raw[run] / seconds)));
      return [step, { awanMBps: megabytesPerSecond(median(awan)), rawMBps: megabytesPerSecond(median(raw)), ratio, aimMet: ratio >= AIM }];
    }),
  );
  console.log(
    JSON.stringify(
      {
        scope: "stopped instances, 1 GiB each; MB/s of the instance's bytes, median of the runs; ratio = awan / raw, median of the runs' ratios",
        runs: RUNS,
        aim: AIM,
        ...result,
        aimMet: Object.values(result).every((r) => r.aimMet),
        compressedMB: {
          vm: { awan: round(compressed.vm.awan / 1e6, 1), raw: round(compressed.vm.raw / 1e6, 1) },
          container: { awan: round(compressed.container.awan / 1e6, 1), raw: round(compressed.container.raw / 1e6, 1), files: fileCount },
        },
      },
      null,
      2,
    ),
  );
} finally {
  for (const { instanceId } of await manager.list()) await manager.delete(instanceId).catch((error: Error) => log(`deleting ${instanceId}: ${error.message}`));
  rmSync(tmp, { recursive: true, force: true });
}
