import { chmod, copyFile, mkdir, mkdtemp, readFile, rm, symlink, writeFile } from 'node:fs/promises';
import os from 'node:os';
import path from 'node:path';
import { gzipSync } from 'node:zlib';
import { AppError } from '#libs/contracts';
import { runProgram } from '../host/program.js';
import { buildOnce } from './built-once.js';
import { findCloudKernel, moduleLoadOrder, readModule } from './cloud-kernel.js';
import { newcArchive, type ArchiveEntry } from './newc-archive.js';

/** The static busybox of Debian's busybox-static package. */
const BUSYBOX = '/bin/busybox';

const INITTAB = [
  '::sysinit:/bin/mkdir -p /run /tmp /var/log',
  '::sysinit:/bin/hostname -F /etc/hostname',
  // A shell on the container's console (LXC's own busybox template has one there too), which a console session reaches.
  'console::respawn:-/bin/sh',
  '::shutdown:/bin/sync',
  '',
].join('\n');

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

/** What the boot image's init needs: virtio disks (the seed is one), ISO 9660, the ACPI power button and its input events. */
const BOOT_MODULES = ['virtio_pci', 'virtio_blk', 'isofs', 'button', 'evdev'];

/**
 * PID 1 of the boot image. It prints the hostname from the NoCloud seed (meta-data is JSON,
 * see cloud-init-seed.ts) on the serial console, then powers off when the ACPI power button
 * is pressed (QMP system_powerdown), as a graceful stop asks. It ends in poweroff, never in
 * exit: PID 1 exiting panics the kernel, which panic=-1 turns into a reboot.
 */
const bootInit = (modules: readonly string[]) => `#!/bin/busybox sh
/bin/busybox mount -t proc proc /proc
/bin/busybox --install -s /bin
mount -t sysfs sysfs /sys
mount -t devtmpfs devtmpfs /dev
for module in ${modules.join(' ')}; do insmod "/lib/modules/$module"; done
# Kernel messages go to dmesg only from here: on the serial console they could split the lines below.
dmesg -n 1

mount -t iso9660 -o ro "$(findfs LABEL=cidata)" /mnt
hostname "$(sed -n 's/.*"local-hostname": *"\\([^"]*\\)".*/\\1/p' /mnt/meta-data)"
echo "awan-guest: hostname $(hostname)"

for input in /sys/class/input/event*; do
  grep -qx 'Power Button' "$input/device/name" && button="/dev/input/\${input##*/}"
done
# Open before saying so: a press is queued from here on, not lost.
exec 3<"$button"
echo "awan-guest: waiting for the power button on $button"
head -c 1 <&3 >/dev/null
echo 'awan-guest: power button pressed, powering off'
poweroff -f
`;

/**
 * A VM image that boots, as a folder with `vmlinuz` and `initrd.img` (QemuDriver boots such
 * a folder directly): Debian's cloud kernel from this machine, and an initramfs of the
 * static busybox, the modules init needs and init itself. No download.
 */
export function buildBusyboxKernel(target: string): Promise<string> {
  return buildOnce(target, async (partial) => {
    const kernel = await findCloudKernel();
    if (!kernel) throw new AppError('INTERNAL', 'dev:busybox-kernel needs a Debian cloud kernel on this host (apt-get install --no-install-recommends linux-image-cloud-amd64)');
    const scratch = await mkdtemp(path.join(os.tmpdir(), 'awan-initramfs-'));
    try {
      const modules = await moduleLoadOrder(kernel.modulesDir, BOOT_MODULES);
      const entries: ArchiveEntry[] = ['bin', 'dev', 'proc', 'sys', 'mnt', 'lib', 'lib/modules'].map((dir) => ({ path: dir, mode: 0o755 }));
      entries.push({ path: 'bin/busybox', mode: 0o755, data: await readFile(BUSYBOX) });
      const names: string[] = [];
      for (const module of modules) {
        const { name, data } = await readModule(path.join(kernel.modulesDir, module), scratch);
        entries.push({ path: `lib/modules/${name}`, mode: 0o644, data });
        names.push(name);
      }
      entries.push({ path: 'init', mode: 0o755, data: Buffer.from(bootInit(names)) });
      await mkdir(partial, { recursive: true });
      await copyFile(kernel.vmlinuz, path.join(partial, 'vmlinuz'));
      await writeFile(path.join(partial, 'initrd.img'), gzipSync(newcArchive(entries)));
    } finally {
      await rm(scratch, { recursive: true, force: true });
    }
  });
}
