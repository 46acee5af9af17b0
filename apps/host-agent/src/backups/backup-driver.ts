import type { FileHandle } from 'node:fs/promises';
import type { InstanceSpec } from '#libs/contracts';
import type { InstanceDriver } from '../instances/instance-driver.js';

/** A compressed file a backup wrote into its folder: its name there, sha256 and size. */
export interface ArchivedFile {
  file: string;
  sha256: string;
  bytes: number;
}

/** Where one backup is written: files in its folder in the store, and this host's folder for working copies. */
export interface BackupTarget {
  backupId: string;
  work: string;
  /**
   * A new file of this name in the backup's folder, and the handle a program writes it through (the
   * caller closes it), once the store answers: checked again, as a copy may have taken hours.
   */
  newFile(name: string): Promise<{ path: string; output: FileHandle }>;
}

/**
 * What one kind of instance does with backups. `driver` is the instance's own driver, which says
 * whether it runs. Both run in the instance's turn with its other commands.
 */
export interface BackupDriver {
  /** Writes the instance's disk (rootfs), consistent and compressed, into `target.folder`, running or stopped. */
  archive(spec: InstanceSpec, driver: InstanceDriver, target: BackupTarget): Promise<ArchivedFile>;
  /**
   * Makes the stopped instance's disk (rootfs) the backup's, reading `source`: only once all of it
   * matched `sha256` is anything of the instance replaced. Answers the reason where it did not match.
   */
  restore(spec: InstanceSpec, source: string, sha256: string): Promise<{ corrupt: string } | null>;
}
