import { open } from 'node:fs/promises';
import path from 'node:path';
import { AppError } from '#libs/contracts';
import { ProgramError, runProgram } from '../host/program.js';

/**
 * What a fetched image is, judged without executing or mounting it: a VM image by its header
 * and `qemu-img info` with the format given explicitly (never guessed, so a raw disk cannot pass
 * for a qcow2 that points elsewhere); a container image by `tar -tf`'s list of its members.
 */

/** A file that is not what the catalog said it is, or that could reach beyond itself. */
export function refused(reason: string): AppError {
  return new AppError('BAD_USER_INPUT', reason);
}

export type VmFormat = 'qcow2' | 'raw';

const QCOW2_MAGIC = 0x514649fb; // "QFI\xfb"
const SECTOR = 512;
/** qcow2 v3's incompatible feature bit for an external data file: its clusters live in another file, which could be any file of the host. */
const QCOW2_EXTERNAL_DATA_FILE = 1n << 2n;

/**
 * The format a VM image's first sector says it has. A qcow2 must name no backing file and no
 * external data file: either could point at any file of the host (a qcow2 backed by
 * /etc/shadow). Anything else is taken as raw only where it looks like a disk: whole sectors and
 * a partition table's boot signature, so a text file is not an image.
 */
export function probeVmFormat(header: Buffer, fileSize: number): VmFormat {
  if (header.length >= 4 && header.readUInt32BE(0) === QCOW2_MAGIC) {
    if (header.length < 104) throw refused('not an image: a qcow2 header cut short');
    const version = header.readUInt32BE(4);
    if (version !== 2 && version !== 3) throw refused(`not an image: qcow2 version ${version} is not known`);
    if (header.readBigUInt64BE(8) !== 0n) throw refused('not accepted: a qcow2 with a backing file (it would read another file of the host)');
    if (version === 3 && (header.readBigUInt64BE(72) & QCOW2_EXTERNAL_DATA_FILE) !== 0n) {
      throw refused('not accepted: a qcow2 with an external data file (it would read another file of the host)');
    }
    return 'qcow2';
  }
  const bootSignature = header.length >= SECTOR && header[510] === 0x55 && header[511] === 0xaa;
  if (fileSize === 0 || fileSize % SECTOR !== 0 || !bootSignature) {
    throw refused('not an image: neither qcow2 nor a raw disk (whole 512-byte sectors with a partition table)');
  }
  return 'raw';
}

/** What `qemu-img info --output=json` says of an image, as far as the checks read it. */
export interface QemuImgInfo {
  format?: string;
  'virtual-size'?: number;
  'backing-filename'?: string;
  'full-backing-filename'?: string;
  'format-specific'?: { type?: string; data?: { 'data-file'?: string } };
}

/** The image's virtual size in bytes, once qemu-img agrees on its format and that it reads no other file. */
export function checkQemuInfo(info: QemuImgInfo, format: VmFormat): number {
  if (info.format !== format) throw refused(`not an image: qemu-img reads it as ${info.format ?? 'nothing'}, not ${format}`);
  if (info['backing-filename'] || info['full-backing-filename']) throw refused('not accepted: a qcow2 with a backing file (it would read another file of the host)');
  if (info['format-specific']?.data?.['data-file']) throw refused('not accepted: a qcow2 with an external data file (it would read another file of the host)');
  const size = info['virtual-size'];
  if (!Number.isSafeInteger(size) || (size as number) <= 0) throw refused('not an image: qemu-img finds no virtual size');
  return size as number;
}

/**
 * A container image's members as `tar -tf` lists them: a rootfs with an init for lxc-start, and
 * no member that would land outside the folder it is unpacked in (absolute, or through `..`).
 */
export function checkRootfsListing(listing: string): void {
  const members = listing.split('\n').filter((line) => line.length > 0);
  if (members.length === 0) throw refused('not a rootfs: the archive is empty');
  const names = new Set<string>();
  for (const member of members) {
    if (member.startsWith('/')) throw refused(`not accepted: the archive's member ${member} has an absolute path`);
    if (member.split('/').includes('..')) throw refused(`not accepted: the archive's member ${member} climbs out with ..`);
    names.add(path.posix.normalize(member).replace(/\/$/, ''));
  }
  if (!names.has('sbin/init') && !names.has('usr/sbin/init')) throw refused('not a rootfs: the archive has no sbin/init for the container to start');
}

async function qemuInfo(file: string, format: VmFormat): Promise<number> {
  let output: string;
  try {
    // qemu-img parses an untrusted header here: with little memory and CPU time, as OpenStack runs it, so a crafted one cannot take the host down.
    output = await runProgram('prlimit', ['--as=1073741824', '--cpu=30', '--', 'qemu-img', 'info', '--output=json', '-f', format, file]);
  } catch (error) {
    if (error instanceof ProgramError) throw refused(`not an image: qemu-img cannot read it as ${format} (${error.stderr.trim().slice(0, 200)})`);
    throw error;
  }
  return checkQemuInfo(JSON.parse(output) as QemuImgInfo, format);
}

async function readHeader(file: string): Promise<{ header: Buffer; size: number }> {
  const handle = await open(file, 'r');
  try {
    const { size } = await handle.stat();
    const header = Buffer.alloc(SECTOR);
    const { bytesRead } = await handle.read(header, 0, SECTOR, 0);
    return { header: header.subarray(0, bytesRead), size };
  } finally {
    await handle.close();
  }
}

/**
 * A VM image checked and made a qcow2 in `workDir`: a qcow2 stays as it is, a raw disk is
 * converted. Returns the qcow2 and its virtual size in bytes.
 */
export async function inspectVmImage(file: string, workDir: string): Promise<{ qcow2: string; virtualSize: number }> {
  const { header, size } = await readHeader(file);
  const format = probeVmFormat(header, size);
  const virtualSize = await qemuInfo(file, format);
  if (format === 'qcow2') return { qcow2: file, virtualSize };
  const qcow2 = path.join(workDir, 'converted.qcow2');
  await runProgram('qemu-img', ['convert', '-q', '-f', 'raw', '-O', 'qcow2', file, qcow2], { timeoutMs: 3_600_000 });
  return { qcow2, virtualSize: await qemuInfo(qcow2, 'qcow2') };
}

/** A container image checked as a rootfs tarball (compressed or not: tar finds out). */
export async function inspectRootfs(file: string): Promise<void> {
  let listing: string;
  try {
    listing = await runProgram('tar', ['-tf', file], { timeoutMs: 600_000 });
  } catch (error) {
    if (error instanceof ProgramError) throw refused(`not an image: not a tar archive (${error.stderr.trim().slice(0, 200)})`);
    throw error;
  }
  checkRootfsListing(listing);
}
