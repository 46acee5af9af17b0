/**
 * An ISO 9660 image of a few files in its root, with Joliet names (what Linux, cloud-init and
 * Windows read: `meta-data` as it is, where plain ISO 9660 allows only `META_DAT.;1`). Built in
 * memory, for cloud-init seeds: running `genisoimage` for each VM cost its create a program's start,
 * 6 ms alone on a busy host and 30 to 45 beside the create's other programs.
 *
 * Layout, in 2 KiB sectors: 16 empty; the primary volume descriptor, Joliet's supplementary one, the
 * terminator; each tree's two path tables (little- and big-endian) and root directory; the files;
 * the padding.
 */

const SECTOR = 2048;
const SYSTEM_AREA = 16;
/** Descriptors (3), path tables (4), root directories (2). */
const FIRST_FILE = SYSTEM_AREA + 9;
/**
 * Zeros after the files, in the volume, as genisoimage pads (300 KiB): readers that read ahead
 * past the end, and probes such as busybox's `findfs`, which takes a device under 64 KiB for no
 * file system at all (a seed of a few files is 60 KiB without it).
 */
const PADDING = 150;
/** Joliet's level 3 escape sequence (UCS-2), in the supplementary descriptor. */
const JOLIET_ESCAPE = '%/E';

export interface IsoFile {
  /** A name of the root directory, 1 to 64 characters of `[A-Za-z0-9._-]`. */
  name: string;
  data: Buffer;
}

/** Where a tree (the primary, ISO 9660 names; or Joliet's) has its parts. */
interface Tree {
  joliet: boolean;
  pathTableL: number;
  pathTableM: number;
  root: number;
}

const PRIMARY: Tree = { joliet: false, pathTableL: 19, pathTableM: 20, root: 23 };
const JOLIET: Tree = { joliet: true, pathTableL: 21, pathTableM: 22, root: 24 };

/** The image of `files` in the root of a volume labelled `volumeId`, written at `at`. */
export function isoImage(volumeId: string, files: readonly IsoFile[], at: Date = new Date()): Buffer {
  if (!/^[A-Za-z0-9_]{1,16}$/.test(volumeId)) throw new Error(`not a volume id: ${JSON.stringify(volumeId)}`);
  const names = files.map((file) => file.name);
  const bad = names.find((name) => !/^[A-Za-z0-9._-]{1,64}$/.test(name));
  if (bad !== undefined) throw new Error(`not a file name for the image: ${JSON.stringify(bad)}`);
  const primaryNames = names.map(primaryName);
  if (new Set(primaryNames).size !== names.length) throw new Error(`file names that are one in ISO 9660: ${names.join(', ')}`);

  let next = FIRST_FILE;
  const placed = files.map((file, i) => {
    const extent = file.data.length > 0 ? next : 0;
    next += sectorsOf(file.data.length);
    return { ...file, primaryName: primaryNames[i], extent };
  });
  next += PADDING;
  const image = Buffer.alloc(next * SECTOR);
  const sector = (n: number) => image.subarray(n * SECTOR, (n + 1) * SECTOR);

  volumeDescriptor(sector(16), PRIMARY, volumeId, next, at);
  volumeDescriptor(sector(17), JOLIET, volumeId, next, at);
  sector(18).set([255, ...Buffer.from('CD001'), 1]); // the set's terminator
  for (const tree of [PRIMARY, JOLIET]) {
    pathTable(sector(tree.pathTableL), tree.root, 'LE');
    pathTable(sector(tree.pathTableM), tree.root, 'BE');
    const entries = placed
      .map((file) => ({ id: tree.joliet ? ucs2(file.name) : Buffer.from(file.primaryName), extent: file.extent, size: file.data.length, directory: false }))
      .sort((a, b) => Buffer.compare(a.id, b.id));
    let offset = 0;
    for (const record of [rootRecord(tree, 0, at), rootRecord(tree, 1, at), ...entries.map((entry) => directoryRecord(entry, at))]) {
      if (offset + record.length > SECTOR) throw new Error(`too many files for one directory sector: ${names.length}`);
      sector(tree.root).set(record, offset);
      offset += record.length;
    }
  }
  for (const file of placed) file.data.copy(image, file.extent * SECTOR);
  return image;
}

const sectorsOf = (bytes: number) => Math.ceil(bytes / SECTOR);

/** ISO 9660 level 1: up to 8 d-characters, a dot, up to 3, and the version. */
function primaryName(name: string): string {
  const dChars = (part: string, length: number) => part.toUpperCase().replace(/[^A-Z0-9_]/g, '_').slice(0, length);
  const dot = name.lastIndexOf('.');
  const [base, extension] = dot > 0 ? [name.slice(0, dot), name.slice(dot + 1)] : [name, ''];
  return `${dChars(base, 8)}.${dChars(extension, 3)};1`;
}

/** UCS-2, big-endian, as Joliet writes every identifier. */
function ucs2(text: string): Buffer {
  const buffer = Buffer.from(text, 'utf16le');
  return buffer.swap16();
}

/** `text` in a field of `length` bytes, padded with spaces (in the tree's encoding). */
function padded(text: string, length: number, joliet: boolean): Buffer {
  const field = joliet ? ucs2(' '.repeat(length / 2)) : Buffer.alloc(length, ' ');
  (joliet ? ucs2(text) : Buffer.from(text, 'ascii')).copy(field, 0, 0, length);
  return field;
}

/** A number in both byte orders, as the descriptors and directory records keep most of them. */
function bothEndian32(target: Buffer, offset: number, value: number): void {
  target.writeUInt32LE(value, offset);
  target.writeUInt32BE(value, offset + 4);
}

function bothEndian16(target: Buffer, offset: number, value: number): void {
  target.writeUInt16LE(value, offset);
  target.writeUInt16BE(value, offset + 2);
}

function volumeDescriptor(target: Buffer, tree: Tree, volumeId: string, sectors: number, at: Date): void {
  target[0] = tree.joliet ? 2 : 1;
  target.write('CD001', 1, 'ascii');
  target[6] = 1;
  padded('LINUX', 32, tree.joliet).copy(target, 8);
  padded(volumeId, 32, tree.joliet).copy(target, 40);
  bothEndian32(target, 80, sectors);
  if (tree.joliet) target.write(JOLIET_ESCAPE, 88, 'ascii');
  bothEndian16(target, 120, 1); // volume set size
  bothEndian16(target, 124, 1); // volume sequence number
  bothEndian16(target, 128, SECTOR);
  bothEndian32(target, 132, PATH_TABLE_SIZE);
  target.writeUInt32LE(tree.pathTableL, 140);
  target.writeUInt32BE(tree.pathTableM, 148);
  rootRecord(tree, 0, at).copy(target, 156);
  // Volume set, publisher, preparer, application (128 bytes each); copyright, abstract, bibliography files (37).
  for (const [offset, length] of [[190, 128], [318, 128], [446, 128], [574, 128], [702, 37], [739, 37], [776, 37]]) {
    padded('', length, tree.joliet && length % 2 === 0).copy(target, offset);
  }
  const written = descriptorDate(at);
  written.copy(target, 813); // created
  written.copy(target, 830); // modified
  descriptorDate(null).copy(target, 847); // expires: never
  descriptorDate(null).copy(target, 864); // effective: at once
  target[881] = 1; // file structure version
}

/** The root's one entry: a tree of one directory. */
const PATH_TABLE_SIZE = 10;

function pathTable(target: Buffer, root: number, order: 'LE' | 'BE'): void {
  target[0] = 1; // the root's identifier, one byte (0, at 8)
  if (order === 'LE') {
    target.writeUInt32LE(root, 2);
    target.writeUInt16LE(1, 6); // its parent: itself
  } else {
    target.writeUInt32BE(root, 2);
    target.writeUInt16BE(1, 6);
  }
}

/** The record of a tree's root directory: its `.` (0), also the descriptor's; its `..` (1), the root being its own parent. */
const rootRecord = (tree: Tree, id: 0 | 1, at: Date) => directoryRecord({ id: Buffer.of(id), extent: tree.root, size: SECTOR, directory: true }, at);

function directoryRecord(entry: { id: Buffer; extent: number; size: number; directory: boolean }, at: Date): Buffer {
  const length = 33 + entry.id.length + (entry.id.length % 2 === 0 ? 1 : 0);
  const record = Buffer.alloc(length);
  record[0] = length;
  bothEndian32(record, 2, entry.extent);
  bothEndian32(record, 10, entry.size);
  record.set([at.getUTCFullYear() - 1900, at.getUTCMonth() + 1, at.getUTCDate(), at.getUTCHours(), at.getUTCMinutes(), at.getUTCSeconds(), 0], 18);
  record[25] = entry.directory ? 2 : 0;
  bothEndian16(record, 28, 1);
  record[32] = entry.id.length;
  entry.id.copy(record, 33);
  return record;
}

/** A descriptor's date: 16 digits and the offset from UTC; all zeros for none. */
function descriptorDate(at: Date | null): Buffer {
  const date = Buffer.alloc(17, '0');
  date[16] = 0;
  if (at) date.write(at.toISOString().replace(/\D/g, '').slice(0, 16), 0, 'ascii');
  return date;
}
