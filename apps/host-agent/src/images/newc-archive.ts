/** One archive member: a folder when it has no data, else a file. `mode` holds the permission bits. */
export interface ArchiveEntry {
  path: string;
  mode: number;
  data?: Buffer;
}

const S_IFDIR = 0o040000;
const S_IFREG = 0o100000;

/** Pads a member's parts to the format's 4-byte boundaries. */
const padding = (length: number) => Buffer.alloc((4 - (length % 4)) % 4);

/**
 * A cpio archive in the "newc" format, the one the kernel unpacks as an initramfs
 * (Documentation/driver-api/early-userspace/buffer-format.rst). Written here because cpio(1)
 * takes its member list on standard input and its members from disk; owners are root, times 0.
 */
export function newcArchive(entries: readonly ArchiveEntry[]): Buffer {
  const parts: Buffer[] = [];
  const member = (name: string, mode: number, data: Buffer, inode: number) => {
    // inode, mode, uid, gid, nlink, mtime, filesize, devmajor, devminor, rdevmajor, rdevminor, namesize, check
    const fields = [inode, mode, 0, 0, 1, 0, data.length, 0, 0, 0, 0, Buffer.byteLength(name) + 1, 0];
    const header = Buffer.from(`070701${fields.map((f) => f.toString(16).padStart(8, '0')).join('')}${name}\0`);
    parts.push(header, padding(header.length), data, padding(data.length));
  };
  entries.forEach((entry, i) => {
    member(entry.path, (entry.data ? S_IFREG : S_IFDIR) | entry.mode, entry.data ?? Buffer.alloc(0), i + 1);
  });
  member('TRAILER!!!', 0, Buffer.alloc(0), 0);
  return Buffer.concat(parts);
}
