import { readFile } from 'node:fs/promises';
import path from 'node:path';
import { Logger } from '@nestjs/common';
import {
  type AgentBackup, type AgentBackupRestore, AppError, type BackupRequest, type BackupRestoreRequest,
} from '#libs/contracts';
import { writeAtomically } from '../instances/instance-folder.js';
import type { InstanceManager } from '../instances/instance-manager.js';
import { ProgramError } from '../host/program.js';
import { thawLeftFrozen } from '../instances/lxc-freeze.js';
import type { BackupDriver } from './backup-driver.js';
import { assertBackupId, type BackupStore } from './backup-store.js';
import { isNoSpace, newFile } from './backup-streams.js';
import { LxcBackups } from './lxc-backups.js';
import { QemuBackups } from './qemu-backups.js';

const MiB = 1024 ** 2;
/** The mark in an instance's folder of the last restore written to it. */
const RESTORED = 'restored-backup';

/**
 * The agent's backup commands: written to and read from the region's backup store. A create or
 * restore runs in its instance's turn with its other commands; asked again while it runs, the
 * same request waits for the one under way (compute asks again when its wait for an answer ends),
 * and asked again after, it answers what was done.
 */
export class Backups {
  private readonly logger = new Logger('backups');
  private readonly underway = new Map<string, Promise<unknown>>();
  /** The sweep of what this host's last agent left in the store: null until begun, and again once failed. */
  private swept: Promise<void> | null = null;

  constructor(
    private readonly instances: InstanceManager,
    /** Null on a host without BACKUP_STORE_DIR: it takes and restores no backup. */
    private readonly store: BackupStore | null,
    private readonly drivers: { VM: BackupDriver; CONTAINER: BackupDriver },
  ) {}

  async create(request: BackupRequest): Promise<AgentBackup> {
    const backupId = assertBackupId(request?.backupId);
    return this.once(`create:${backupId}`, async () => {
      const store = await this.readyStore();
      const done = await store.manifest(backupId);
      if (done) return this.answer(done.instanceId === request.instanceId ? done : mismatched(backupId, done.instanceId));
      return this.instances.withInstance(request.instanceId, async (spec, driver) => {
        const folder = await store.begin(backupId);
        try {
          const written = await this.drivers[spec.kind].archive(spec, driver, {
            backupId,
            work: store.workDir(backupId),
            newFile: async (name) => {
              await store.answering();
              const file = path.join(folder, name);
              return { path: file, output: await newFile(file) };
            },
          });
          const manifest = {
            backupId, instanceId: spec.instanceId, kind: spec.kind, hostId: this.instances.folders.hostId, ...written,
            createdAt: new Date().toISOString(), spec,
          };
          await store.commit(manifest);
          return this.answer(manifest);
        } catch (error) {
          await store.abandon(backupId);
          throw this.explain(error, store);
        }
      });
    });
  }

  /**
   * Restores onto a stopped instance this host holds, in place or a new one's first disk: nothing
   * of the instance changes unless the whole stored file matched its checksum.
   */
  async restore(request: BackupRestoreRequest): Promise<AgentBackupRestore> {
    const backupId = assertBackupId(request?.backupId);
    if (typeof request.restoreKey !== 'string' || request.restoreKey.length === 0 || request.restoreKey.length > 200) {
      throw AppError.badInput('restoreKey', 'must name the restore');
    }
    return this.once(`restore:${request.instanceId}:${request.restoreKey}`, async () => {
      const store = await this.readyStore();
      const manifest = await store.manifest(backupId);
      if (!manifest) throw AppError.notFound(`backup ${backupId} in the backup store (${store.root})`);
      return this.instances.withInstance(request.instanceId, async (spec, driver): Promise<AgentBackupRestore> => {
        const mark = this.instances.folders.file(spec.instanceId, RESTORED);
        if ((await readMark(mark)) === request.restoreKey) return { backupId, restored: true };
        if (manifest.kind !== spec.kind) throw AppError.badInput('backupId', `backup ${backupId} is of a ${manifest.kind}, instance ${spec.instanceId} a ${spec.kind}`);
        if ((await driver.state(spec)) === 'RUNNING') throw AppError.conflict(`instance ${spec.instanceId} runs: a backup is restored onto a stopped instance`);
        const refused = await this.drivers[spec.kind].restore(spec, store.fileOf(manifest), manifest.sha256).catch((error: unknown) => {
          throw this.explain(error, store);
        });
        if (refused) {
          this.logger.warn(`backup ${backupId} refused: ${refused.corrupt}`);
          return { backupId, restored: false, corrupt: refused.corrupt };
        }
        await writeAtomically(mark, request.restoreKey);
        return { backupId, restored: true };
      });
    });
  }

  async delete(request: { backupId: string }): Promise<{ backupId: string }> {
    const backupId = assertBackupId(request?.backupId);
    await (await this.readyStore()).remove(backupId);
    return { backupId };
  }

  /**
   * At the agent's start, never holding it up: a container an agent stopped mid-copy left frozen is
   * thawed (only a copy freezes one, a backup's or a snapshot's, while its agent waits; one this agent
   * has begun since is left as it is), then the store is swept where it answers, or else before this
   * agent first uses it.
   */
  async sweep(): Promise<void> {
    const thawed = await thawLeftFrozen(this.instances.folders.root).catch((error: Error) => {
      this.logger.error(`a container left frozen when the agent stopped is not thawed: ${error.message}`);
      return [];
    });
    for (const instanceId of thawed) this.logger.warn(`thawed container ${instanceId}, left frozen when the agent stopped`);
    if (this.store) await this.readyStore().catch((error: Error) => this.logger.warn(`${error.message}: swept before its first backup`));
  }

  /**
   * The store, once it answers and what this host's last agent was writing there when it stopped is
   * removed (those backups fail, or are written again when compute asks again): never two sweeps, and
   * none while a backup is written.
   */
  private async readyStore(): Promise<BackupStore> {
    const store = this.requireStore();
    await store.answering();
    this.swept ??= store.sweep().then(
      (backupIds) => {
        for (const backupId of backupIds) this.logger.warn(`removed backup ${backupId} left unfinished when the agent stopped`);
      },
      (error: unknown) => {
        this.swept = null;
        throw error;
      },
    );
    await this.swept;
    return store;
  }

  private answer(manifest: { backupId: string; bytes: number; sha256: string }): AgentBackup {
    return { backupId: manifest.backupId, sizeMb: Math.ceil(manifest.bytes / MiB), sha256: manifest.sha256 };
  }

  private requireStore(): BackupStore {
    if (!this.store) throw AppError.conflict(`host ${this.instances.folders.hostId} has no backup store: set BACKUP_STORE_DIR to the region's`);
    return this.store;
  }

  /** A full store or work folder says so; a tool's failure says what the tool said. */
  private explain(error: unknown, store: BackupStore): unknown {
    if (isNoSpace(error)) return AppError.conflict(`no space left for the backup (backup store ${store.root}, or this host's working copy): ${(error as Error).message}`);
    if (error instanceof ProgramError) return new AppError('INTERNAL', error.message);
    return error;
  }

  private once<T>(key: string, work: () => Promise<T>): Promise<T> {
    const running = this.underway.get(key) as Promise<T> | undefined;
    if (running) return running;
    const next = work().finally(() => this.underway.delete(key));
    this.underway.set(key, next);
    return next;
  }
}

function mismatched(backupId: string, instanceId: string): never {
  throw AppError.conflict(`backup ${backupId} in the store is of instance ${instanceId}`);
}

const readMark = (file: string): Promise<string | null> => readFile(file, 'utf8').catch(() => null);

/** The backups of the instances `instances` runs, in `store`. */
export const backupsFor = (instances: InstanceManager, store: BackupStore | null) =>
  new Backups(instances, store, { VM: new QemuBackups(instances.folders), CONTAINER: new LxcBackups(instances.folders) });
