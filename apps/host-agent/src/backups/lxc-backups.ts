import { mkdir } from 'node:fs/promises';
import { AppError, type InstanceSpec } from '#libs/contracts';
import type { InstanceDriver } from '../instances/instance-driver.js';
import type { InstanceFolders } from '../instances/instance-folder.js';
import { whileFrozen } from '../instances/lxc-freeze.js';
import { replaceTree } from '../snapshots/lxc-snapshots.js';
import type { ArchivedFile, BackupDriver, BackupTarget } from './backup-driver.js';
import { hashWritten, type ProgressFloor, readHashed, start, stopWhenStalled, verifiedRead } from './backup-streams.js';

/**
 * Owners as numbers (the rootfs's users are the container's) and every extended attribute kept, ACLs
 * among them: an ACL is its file's system.posix_acl_* attribute, kept as its bytes, ids as numbers.
 * (`--acls` would read each file's ACLs a second time, to store them again as text: a tenth of a
 * backup's time for a rootfs of small files. Archives written with it still restore the same.)
 */
const TAR_KEEPS = ['--numeric-owner', '--xattrs', '--xattrs-include=*'];

/**
 * What a container's archive must get into the backup store while the container is frozen: a store
 * that stops taking data (a hung share) would otherwise hold it frozen, serving no one, for as long
 * as the archive may take (hours). As an image download must bring, 1 MB a minute.
 */
export const FROZEN_ARCHIVE_FLOOR: ProgressFloor = { windowMs: 60_000, minBytes: 1024 ** 2 };

/**
 * A container's backup is a tarball of its rootfs compressed with zstd (`tar | zstd`). A running
 * container is frozen (`lxc-freeze`) while tar reads its rootfs, and only then: its files do not
 * change under the archive. A restore unpacks it beside the stopped container's rootfs and swaps
 * the two once the whole file has matched its checksum.
 */
export class LxcBackups implements BackupDriver {
  constructor(
    private readonly folders: InstanceFolders,
    private readonly frozenFloor = FROZEN_ARCHIVE_FLOOR,
  ) {}

  private rootfs(spec: InstanceSpec): string {
    return this.folders.file(spec.instanceId, 'rootfs');
  }

  async archive(spec: InstanceSpec, driver: InstanceDriver, target: BackupTarget): Promise<ArchivedFile> {
    const file = 'rootfs.tar.zst';
    // Opened before the container is frozen: a store that hangs there holds nothing of it.
    const { path: archive, output } = await target.newFile(file);
    try {
      const running = (await driver.state(spec)) === 'RUNNING';
      const writing = await whileFrozen(this.folders.root, spec.instanceId, running, async () => {
        const tar = start('tar', ['--create', '--file=-', '--sparse', '--one-file-system', ...TAR_KEEPS, '--directory', this.rootfs(spec), '.'], { stdout: true });
        const pipeline = [tar, start('zstd', ['-q', '-T0', '-c'], { stdin: tar, stdout: output })];
        const written = hashWritten(archive, pipeline);
        written.catch(() => undefined); // awaited below, once the container is thawed
        // tar writes only as fast as zstd's output reaches the store (the pipe between them fills).
        const stalled = stopWhenStalled(tar, pipeline, this.frozenFloor);
        await tar.done.catch(() => undefined); // its failure is the write's to report; the container thaws either way
        return { written, stalled: stalled() };
      });
      if (writing.stalled) {
        await writing.written.catch(() => undefined);
        throw new AppError('INTERNAL', `the backup store took too little of the archive (${writing.stalled}): the backup was stopped and the container thawed`);
      }
      return { file, ...(await writing.written) };
    } finally {
      await output.close();
    }
  }

  async restore(spec: InstanceSpec, source: string, sha256: string): Promise<{ corrupt: string } | null> {
    let outcome: { corrupt: string } | null = null;
    await replaceTree(this.rootfs(spec), async (incoming) => {
      await mkdir(incoming, { mode: 0o755 });
      outcome = await verifiedRead(source, sha256, (file) => {
        const zstd = start('zstd', ['-d', '-q', '-c', '--', file], { stdout: true });
        const tar = start('tar', ['--extract', '--file=-', '--same-permissions', '--same-owner', ...TAR_KEEPS, '--directory', incoming], { stdin: zstd });
        return readHashed(file, [zstd, tar]);
      });
      // Refused: the rootfs stays as it was (replaceTree removes what was unpacked).
      if (outcome) throw new Refused();
    }).catch((error: unknown) => {
      if (!(error instanceof Refused)) throw error;
    });
    return outcome;
  }
}

class Refused extends Error {}
