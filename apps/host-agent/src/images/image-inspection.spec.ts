import { checkQemuInfo, checkRootfsListing, probeVmFormat } from './image-inspection.js';

/** A qcow2 header as qemu-img writes one: magic, version, backing file offset, and v3's incompatible features. */
function qcow2Header({ version = 3, backingFileOffset = 0n, incompatibleFeatures = 0n } = {}): Buffer {
  const header = Buffer.alloc(512);
  header.writeUInt32BE(0x514649fb, 0);
  header.writeUInt32BE(version, 4);
  header.writeBigUInt64BE(backingFileOffset, 8);
  header.writeBigUInt64BE(incompatibleFeatures, 72);
  return header;
}

/** The first sector of a disk with a partition table. */
function mbr(): Buffer {
  const sector = Buffer.alloc(512);
  sector[510] = 0x55;
  sector[511] = 0xaa;
  return sector;
}

describe('what a VM image is, by its first sector', () => {
  it('is a qcow2 with neither a backing file nor an external data file', () => {
    expect(probeVmFormat(qcow2Header(), 196_624)).toBe('qcow2');
    expect(probeVmFormat(qcow2Header({ version: 2 }), 196_624)).toBe('qcow2');
    expect(() => probeVmFormat(qcow2Header({ backingFileOffset: 0x200n }), 196_624)).toThrow(/backing file/);
    expect(() => probeVmFormat(qcow2Header({ incompatibleFeatures: 4n }), 196_624)).toThrow(/external data file/);
    expect(() => probeVmFormat(qcow2Header({ version: 9 }), 196_624)).toThrow(/version 9/);
    expect(() => probeVmFormat(qcow2Header().subarray(0, 50), 50)).toThrow(/cut short/);
  });

  it('is a raw disk only in whole sectors with a partition table: a text file is not an image', () => {
    expect(probeVmFormat(mbr(), 8 * 1024 * 1024)).toBe('raw');
    const text = Buffer.from('#cloud-config\nthis is not a disk\n');
    expect(() => probeVmFormat(text, text.length)).toThrow(/not an image/);
    expect(() => probeVmFormat(Buffer.alloc(512), 1024 * 1024)).toThrow(/not an image/); // no partition table
    expect(() => probeVmFormat(mbr(), 8 * 1024 * 1024 + 100)).toThrow(/not an image/); // not whole sectors
    expect(() => probeVmFormat(Buffer.alloc(0), 0)).toThrow(/not an image/);
  });

  it("takes qemu-img's word only for the format it was told, and only for an image that reads no other file", () => {
    expect(checkQemuInfo({ format: 'qcow2', 'virtual-size': 1073741824 }, 'qcow2')).toBe(1073741824);
    expect(() => checkQemuInfo({ format: 'raw', 'virtual-size': 512 }, 'qcow2')).toThrow(/reads it as raw, not qcow2/);
    expect(() => checkQemuInfo({ format: 'qcow2', 'virtual-size': 1, 'backing-filename': '/etc/shadow' }, 'qcow2')).toThrow(/backing file/);
    expect(() => checkQemuInfo({ format: 'qcow2', 'virtual-size': 1, 'full-backing-filename': '/etc/shadow' }, 'qcow2')).toThrow(/backing file/);
    expect(() => checkQemuInfo({ format: 'qcow2', 'virtual-size': 1, 'format-specific': { data: { 'data-file': '/etc/shadow' } } }, 'qcow2')).toThrow(/external data file/);
    expect(() => checkQemuInfo({ format: 'qcow2' }, 'qcow2')).toThrow(/no virtual size/);
  });
});

describe('what a container image is, by its members', () => {
  it('is a rootfs with an init, whether its members start with ./ or not, merged /usr included', () => {
    expect(() => checkRootfsListing('./\n./bin/\n./bin/busybox\n./sbin/\n./sbin/init\n./etc/inittab\n')).not.toThrow();
    expect(() => checkRootfsListing('bin\nusr/\nusr/sbin/\nusr/sbin/init\n')).not.toThrow();
  });

  it('refuses a member that would land outside its folder, naming it', () => {
    expect(() => checkRootfsListing('./sbin/init\n/etc/shadow\n')).toThrow('the archive\'s member /etc/shadow has an absolute path');
    expect(() => checkRootfsListing('./sbin/init\n./../../etc/cron.d/x\n')).toThrow('climbs out with ..');
    expect(() => checkRootfsListing('sbin/init\nvar/../../x\n')).toThrow('climbs out with ..');
  });

  it('refuses an archive that is not a rootfs', () => {
    expect(() => checkRootfsListing('')).toThrow(/empty/);
    expect(() => checkRootfsListing('./README\n./data.bin\n')).toThrow(/no sbin\/init/);
  });
});
