import { existsSync } from 'node:fs';
import { chmod, copyFile, mkdir, mkdtemp, rename, rm, symlink, writeFile } from 'node:fs/promises';
import os from 'node:os';
import path from 'node:path';
import { runProgram } from '../host/program.js';

/** The static busybox of Debian's busybox-static package. */
const BUSYBOX = '/bin/busybox';

const INITTAB = [
  '::sysinit:/bin/mkdir -p /run /tmp /var/log',
  '::sysinit:/bin/hostname -F /etc/hostname',
  '::shutdown:/bin/sync',
  '',
].join('\n');

/** Writes `target` atomically: a half-built image is never mistaken for a finished one. */
async function buildOnce(target: string, build: (tmp: string) => Promise<void>): Promise<string> {
  if (existsSync(target)) return target;
  await mkdir(path.dirname(target), { recursive: true });
  const partial = `${target}.partial-${process.pid}`;
  await build(partial);
  await rename(partial, target);
  return target;
}

/**
 * A container rootfs tarball holding only the host's static busybox: init, a shell and the
 * usual tools. Built from this machine's files, no download.
 */
export function buildBusyboxRootfs(target: string): Promise<string> {
  return buildOnce(target, async (partial) => {
    const root = await mkdtemp(path.join(os.tmpdir(), 'awan-rootfs-'));
    try {
      for (const dir of ['bin', 'sbin', 'etc', 'proc', 'sys', 'dev', 'tmp', 'root', 'run', 'var/log', 'usr/bin', 'usr/sbin']) {
        await mkdir(path.join(root, dir), { recursive: true });
      }
      await copyFile(BUSYBOX, path.join(root, 'bin/busybox'));
      await chmod(path.join(root, 'bin/busybox'), 0o755);
      const applets = (await runProgram(BUSYBOX, ['--list'])).split('\n').filter((a) => /^[a-z0-9_.[-]+$/.test(a) && a !== 'busybox');
      for (const applet of applets) await symlink('busybox', path.join(root, 'bin', applet)).catch(() => undefined);
      await symlink('../bin/busybox', path.join(root, 'sbin/init'));
      await writeFile(path.join(root, 'etc/inittab'), INITTAB);
      await writeFile(path.join(root, 'etc/hostname'), 'busybox\n');
      await writeFile(path.join(root, 'etc/passwd'), 'root:x:0:0:root:/root:/bin/sh\n');
      await writeFile(path.join(root, 'etc/group'), 'root:x:0:\n');
      await runProgram('tar', ['-czf', partial, '--numeric-owner', '-C', root, '.']);
    } finally {
      await rm(root, { recursive: true, force: true });
    }
  });
}

/** An empty qcow2: enough for a VM's lifecycle (its firmware finds nothing to boot and waits). */
export function buildBlankQcow2(target: string, sizeGb = 1): Promise<string> {
  return buildOnce(target, (partial) => runProgram('qemu-img', ['create', '-q', '-f', 'qcow2', partial, `${sizeGb}G`]).then(() => undefined));
}
