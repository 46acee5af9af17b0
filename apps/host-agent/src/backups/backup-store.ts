import { access, mkdir, readdir, readFile, rename, rm, writeFile } from 'node:fs/promises';
import path from 'node:path';
import { AppError, type InstanceKind, type InstanceSpec, isUuid } from '#libs/contracts';
import { runProgram } from '../host/program.js';

/** What a backup's folder says of it, beside its compressed file: written last, so a backup with one is whole. */
export interface BackupManifest {
  backupId: string;
  instanceId: string;
  kind: InstanceKind;
  /** The host that wrote it. */
  hostId: string;
  /** The compressed disk (`disk.qcow2.zst`) or rootfs (`rootfs.tar.zst`), in the backup's folder. */
  file: string;
  /** Hex sha256 of that file, as written. */
  sha256: string;
  bytes: number;
  createdAt: string;
  /** The instance's spec when it was taken. */
  spec: InstanceSpec;
}

const MANIFEST = 'manifest.json';
/** Where unfinished backups are written, each in a folder of its own named by backup and host. */
const PARTIAL = '.partial';
/** How long the store has to answer the check made before a command touches it. */
const ANSWER_TIMEOUT_MS = 10_000;

/** A backup id names folders in the store: only a UUID may. */
export function assertBackupId(value: unknown): string {
  if (!isUuid(value)) throw AppError.badInput('backupId', 'must be a lower-case UUID');
  return value;
}

/**
 * The region's backup store (BACKUP_STORE_DIR), a folder every host of the region mounts: each
 * backup is `<store>/<backupId>/` with its compressed file, `SHA256SUMS` (for `sha256sum -c`) and
 * `manifest.json` (checksum and the instance's spec). A backup is written under
 * `<store>/.partial/<backupId>.<hostId>/` and renamed into place once whole, so a folder in place is
 * a complete backup; what a host was writing when it died is its own to sweep when it starts again.
 * Working copies (a VM disk's, before compression) go to the host's own data folder, never the store.
 */
export class BackupStore {
  constructor(
    readonly root: string,
    private readonly hostId: string,
    /** This host's folder for working copies. */
    private readonly workRoot: string,
  ) {}

  /**
   * Refuses as UNAVAILABLE (compute asks again later) a store that does not answer within 10 s, before
   * anything here touches it. The check is a program's (`touch -c` on the store's folder, which only
   * the share itself can answer): a file call of Node's own on a hung share would hold, for as long as
   * the share hangs, one of the four threads every file read of the agent waits on, its heartbeat's
   * among them, so a few backups would pass this host for dead.
   */
  async answering(): Promise<void> {
    await runProgram('touch', ['-c', '--', this.root], { timeoutMs: ANSWER_TIMEOUT_MS }).catch((error: Error) => {
      throw AppError.unavailable(`the backup store ${this.root} does not answer: ${error.message}`);
    });
  }

  dir(backupId: string): string {
    return path.join(this.root, assertBackupId(backupId));
  }

  workDir(backupId: string): string {
    return path.join(this.workRoot, assertBackupId(backupId));
  }

  private partialDir(backupId: string): string {
    return path.join(this.root, PARTIAL, `${assertBackupId(backupId)}.${this.hostId}`);
  }

  /** The backup's manifest, or null where the store has no complete backup of that id. */
  async manifest(backupId: string): Promise<BackupManifest | null> {
    try {
      return JSON.parse(await readFile(path.join(this.dir(backupId), MANIFEST), 'utf8')) as BackupManifest;
    } catch (error) {
      if ((error as NodeJS.ErrnoException).code === 'ENOENT') return null;
      throw error;
    }
  }

  /** The path of a complete backup's compressed file. */
  fileOf(manifest: BackupManifest): string {
    return path.join(this.dir(manifest.backupId), path.basename(manifest.file));
  }

  /** A fresh folder to write the backup in (what an earlier attempt of this host left is removed). */
  async begin(backupId: string): Promise<string> {
    const partial = this.partialDir(backupId);
    await rm(partial, { recursive: true, force: true });
    await mkdir(partial, { recursive: true, mode: 0o700 });
    return partial;
  }

  /** The written backup goes into place whole: its checksum file and manifest last, then the rename. */
  async commit(manifest: BackupManifest): Promise<void> {
    const partial = this.partialDir(manifest.backupId);
    await writeFile(path.join(partial, 'SHA256SUMS'), `${manifest.sha256}  ${manifest.file}\n`);
    await writeFile(path.join(partial, MANIFEST), JSON.stringify(manifest, null, 2), { mode: 0o600 });
    const target = this.dir(manifest.backupId);
    // Never a synchronous call on the store: one that hangs would hold the agent's event loop.
    if (await access(target).then(() => true, () => false)) {
      await rm(partial, { recursive: true, force: true }); // written meanwhile by an earlier attempt: the same backup
      return;
    }
    await rename(partial, target);
  }

  /** Drops what an unfinished attempt of this host wrote. */
  async abandon(backupId: string): Promise<void> {
    await rm(this.partialDir(backupId), { recursive: true, force: true });
    await rm(this.workDir(backupId), { recursive: true, force: true });
  }

  async remove(backupId: string): Promise<void> {
    await this.abandon(backupId);
    await rm(this.dir(backupId), { recursive: true, force: true });
  }

  /** Removes every backup this host was writing when its agent stopped (and its working copies), answering their ids. */
  async sweep(): Promise<string[]> {
    await rm(this.workRoot, { recursive: true, force: true });
    const suffix = `.${this.hostId}`;
    const entries = await readdir(path.join(this.root, PARTIAL)).catch(() => [] as string[]);
    const swept = entries.filter((e) => e.endsWith(suffix));
    for (const entry of swept) await rm(path.join(this.root, PARTIAL, entry), { recursive: true, force: true });
    return swept.map((entry) => entry.slice(0, -suffix.length));
  }
}
