import { appendFile, chmod, chown, mkdir, readFile, stat } from 'node:fs/promises';
import path from 'node:path';
import { Logger } from '@nestjs/common';
import { start } from '../backups/backup-streams.js';

/**
 * The host's ids a container's own are mapped to: its root (0) is the host's 100000, and its ids up
 * to 65535 the 65536 after it, on every host alike (a container moves between hosts of the shared
 * storage, and its files' owners with it). Root in a container is then no one on the host: a
 * privileged container's root was the host's, and with it the host's devices and every tenant's files.
 */
export const CONTAINER_IDS = { first: 100_000, count: 65_536 } as const;

/** LXC's lines for the mapping. */
export const ID_MAP_CONFIG = [
  `lxc.idmap = u 0 ${CONTAINER_IDS.first} ${CONTAINER_IDS.count}`,
  `lxc.idmap = g 0 ${CONTAINER_IDS.first} ${CONTAINER_IDS.count}`,
];

/** `lxc-usernsexec`'s form of the same mapping: the program after it runs as the container's root would. */
const AS_CONTAINER_ROOT = ['-m', `b:0:${CONTAINER_IDS.first}:${CONTAINER_IDS.count}`, '--'];

/**
 * What a tree's copy keeps besides owners and modes: extended attributes that a container's root
 * may set (file capabilities, ACLs, the user namespace's own), written in its namespace so that
 * their ids are mapped as the owners are. A /dev a rootfs brings is left behind: LXC mounts its own
 * there, and a container's root makes no device nodes.
 */
const COPIED = ['--numeric-owner', '--xattrs', '--xattrs-include=user.*', '--xattrs-include=security.capability', '--xattrs-include=system.posix_acl_*'];

const SUBORDINATE_ID_FILES = ['/etc/subuid', '/etc/subgid'];
const logger = new Logger('containers');

/**
 * Lets root map the containers' ids: `newuidmap`, which LXC uses where it is installed, maps only
 * ranges /etc/subuid and /etc/subgid give the user. A host without the range gets it added (as
 * Proxmox's installer adds the same one).
 */
export async function allowContainerIds(files = SUBORDINATE_ID_FILES): Promise<void> {
  const { first, count } = CONTAINER_IDS;
  for (const file of files) {
    const text = await readFile(file, 'utf8').catch((error: NodeJS.ErrnoException) => {
      if (error.code === 'ENOENT') return '';
      throw error;
    });
    const covered = text.split('\n').some((line) => {
      const [user, from, size] = line.trim().split(':');
      return user === 'root' && Number(from) <= first && Number(from) + Number(size) >= first + count;
    });
    if (covered) continue;
    await appendFile(file, `${text === '' || text.endsWith('\n') ? '' : '\n'}root:${first}:${count}\n`);
    logger.log(`${file}: root may now map ids ${first} to ${first + count - 1}, its containers' ids`);
  }
}

/** Whether a rootfs's files are the container's own (mapped), not the host's: its top folder's owner says. */
export async function ownedByContainer(rootfs: string): Promise<boolean> {
  const { uid } = await stat(rootfs);
  return uid >= CONTAINER_IDS.first && uid < CONTAINER_IDS.first + CONTAINER_IDS.count;
}

/**
 * Copies `from` (a rootfs as the host's root owns it: an unpacked image, or a container made before
 * containers were unprivileged) to `to`, its owners mapped into the container's ids: `tar` reads it
 * as root, and a second `tar` writes it as the container's root, in a user namespace of the mapping,
 * so owners, set-id bits, file capabilities and ACLs come out as the container's.
 */
export async function copyAsContainerOwned(from: string, to: string): Promise<void> {
  await mkdir(to, { recursive: true, mode: 0o755 });
  await chown(to, CONTAINER_IDS.first, CONTAINER_IDS.first);
  await passableAbove(to);
  const reading = start('tar', ['--create', '--file=-', '--one-file-system', ...COPIED, '--exclude=./dev/*', '--directory', from, '.'], { stdout: true });
  const writing = start('lxc-usernsexec', [...AS_CONTAINER_ROOT, 'tar', '--extract', '--file=-', '--same-owner', '--same-permissions', ...COPIED, '--directory', to], { stdin: reading });
  const [read, written] = await Promise.allSettled([reading.done, writing.done]);
  if (written.status === 'rejected') throw written.reason;
  if (read.status === 'rejected') throw read.reason;
}

/**
 * Makes every folder above a container's rootfs one the container's root may pass through, as LXC
 * opens the rootfs from inside its user namespace: the container's own folder by its group (its
 * root's), the folders above it by anyone.
 */
export async function letContainerReach(folder: string): Promise<void> {
  await chown(folder, 0, CONTAINER_IDS.first);
  await chmod(folder, 0o710);
  await passableAbove(folder);
}

/** Every folder above `target` may be passed through by anyone: the execute bit only, so none can be listed that could not be. */
async function passableAbove(target: string): Promise<void> {
  for (let dir = path.dirname(target); ; dir = path.dirname(dir)) {
    const { mode } = await stat(dir);
    if ((mode & 0o001) === 0) {
      await chmod(dir, (mode & 0o7777) | 0o001);
      logger.log(`${dir}: anyone may now pass through it (not list it), as containers' roots must to reach their rootfs`);
    }
    if (dir === path.dirname(dir)) return;
  }
}
