import { mkdir, rename, rm } from 'node:fs/promises';
import path from 'node:path';
import { setTimeout as sleep } from 'node:timers/promises';
import { AppError, type InstanceSpec } from '#libs/contracts';
import { qmp } from '#libs/qmp';
import { runProgram } from '../host/program.js';
import type { InstanceDriver } from '../instances/instance-driver.js';
import type { InstanceFolders } from '../instances/instance-folder.js';
import type { ArchivedFile, BackupDriver, BackupTarget } from './backup-driver.js';
import { BACKUP_PROGRAM_TIMEOUT_MS, hashWritten, readHashed, start, verifiedRead } from './backup-streams.js';

/** The VM's disk as QEMU's -drive names it (qemu.driver.ts). */
const DISK_DEVICE = 'disk0';
const GiB = 1024 ** 3;
const JOB_POLL_MS = 100;
/** A cancelled job concludes once its in-flight writes end: seconds, not the hours a copy may take. */
const CANCEL_TIMEOUT_MS = 60_000;

interface Job {
  id: string;
  status: string;
  error?: string;
}

/** zstd on both cores, its frames checksummed too. */
const COMPRESS = ['-q', '-T0', '-c'];

/**
 * A VM's backup is a whole qcow2 of its disk, its image's data included (no backing file), as it
 * was at one instant, compressed with zstd. A running VM's copy is made by its own QEMU (QMP
 * `drive-backup`, sync full: QEMU copies each block before the guest overwrites it, so the copy is
 * the disk at the moment the job started, and the guest runs on); a stopped VM's by `qemu-img
 * convert`. The copy is a working file on this host, compressed into the store, then removed.
 */
export class QemuBackups implements BackupDriver {
  constructor(private readonly folders: InstanceFolders) {}

  private disk(spec: InstanceSpec): string {
    return this.folders.file(spec.instanceId, 'disk.qcow2');
  }

  async archive(spec: InstanceSpec, driver: InstanceDriver, target: BackupTarget): Promise<ArchivedFile> {
    await rm(target.work, { recursive: true, force: true });
    await mkdir(target.work, { recursive: true, mode: 0o700 });
    const copy = path.join(target.work, 'disk.qcow2');
    try {
      if ((await driver.state(spec)) === 'RUNNING') {
        await this.copyRunning(await this.folders.runtimeFile(spec.instanceId, 'qmp.sock'), `backup-${target.backupId}`, copy);
      } else {
        await runProgram('qemu-img', ['convert', '-O', 'qcow2', this.disk(spec), copy], { timeoutMs: BACKUP_PROGRAM_TIMEOUT_MS });
      }
      const file = 'disk.qcow2.zst';
      const { path: archive, output } = await target.newFile(file);
      try {
        return { file, ...(await hashWritten(archive, [start('zstd', [...COMPRESS, '--', copy], { stdout: output })])) };
      } finally {
        await output.close();
      }
    } finally {
      await rm(target.work, { recursive: true, force: true });
    }
  }

  /** QEMU's backup job copies the disk as it is now to `copy`, while the guest runs. */
  private async copyRunning(socket: string, jobId: string, copy: string): Promise<void> {
    await this.dropJob(socket, jobId); // one an earlier attempt left
    const job = await qmp(socket, 'drive-backup', { 'job-id': jobId, device: DISK_DEVICE, target: copy, format: 'qcow2', sync: 'full', 'auto-dismiss': false })
      .then(() => this.concluded(socket, jobId))
      .catch(async (error: unknown) => {
        // Given up on (past its deadline, QMP failing, or its start unanswered though it may have begun): cancelled,
        // or it would go on writing a copy nobody reads. A job that cannot be dropped now is by the next try's first step.
        await this.dropJob(socket, jobId).catch(() => undefined);
        throw error;
      });
    await qmp(socket, 'job-dismiss', { id: jobId });
    if (job.error) throw new AppError('INTERNAL', `QEMU's backup job failed: ${job.error}`);
  }

  private async concluded(socket: string, jobId: string, timeoutMs = BACKUP_PROGRAM_TIMEOUT_MS): Promise<Job> {
    const deadline = Date.now() + timeoutMs;
    for (;;) {
      const job = (await qmp<Job[]>(socket, 'query-jobs')).find((j) => j.id === jobId);
      if (!job) throw new AppError('INTERNAL', `QEMU has no backup job ${jobId}`);
      if (job.status === 'concluded') return job;
      if (Date.now() > deadline) throw new AppError('INTERNAL', `QEMU's backup job ${jobId} is still ${job.status} after ${timeoutMs} ms`);
      await sleep(JOB_POLL_MS);
    }
  }

  /** Cancels and dismisses the job if QEMU has it (an agent that died left it running). */
  async dropJob(socket: string, jobId: string): Promise<void> {
    const job = (await qmp<Job[]>(socket, 'query-jobs')).find((j) => j.id === jobId);
    if (!job) return;
    if (job.status !== 'concluded') await qmp(socket, 'job-cancel', { id: jobId });
    await this.concluded(socket, jobId, CANCEL_TIMEOUT_MS);
    await qmp(socket, 'job-dismiss', { id: jobId });
  }

  async restore(spec: InstanceSpec, source: string, sha256: string): Promise<{ corrupt: string } | null> {
    const disk = this.disk(spec);
    const incoming = `${disk}.restoring`;
    await rm(incoming, { force: true });
    try {
      const outcome = await verifiedRead(source, sha256, (file) => {
        const zstd = start('zstd', ['-d', '-q', '-f', '-o', incoming, '--', file]);
        return readHashed(file, [zstd]);
      });
      if (outcome) return outcome;
      // A backup from before a resize is smaller than the plan's disk now: it grows, as a resize would.
      const info = JSON.parse(await runProgram('qemu-img', ['info', '--output=json', incoming])) as { 'virtual-size': number };
      if (info['virtual-size'] < spec.diskGb * GiB) await runProgram('qemu-img', ['resize', '-q', incoming, `${spec.diskGb}G`]);
      await rename(incoming, disk);
      return null;
    } finally {
      await rm(incoming, { force: true });
    }
  }
}
