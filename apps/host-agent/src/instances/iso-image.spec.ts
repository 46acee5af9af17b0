import { isoImage } from './iso-image.js';

const SECTOR = 2048;

/** The root directory of the image's Joliet tree as a reader finds it: from the supplementary descriptor, by the standard's offsets. */
function jolietRoot(image: Buffer): Map<string, Buffer> {
  const descriptor = image.subarray(17 * SECTOR, 18 * SECTOR);
  expect(descriptor[0]).toBe(2);
  expect(descriptor.toString('ascii', 88, 91)).toBe('%/E');
  const root = descriptor.readUInt32LE(156 + 2);
  const files = new Map<string, Buffer>();
  for (let offset = root * SECTOR; image[offset] > 0; offset += image[offset]) {
    const id = image.subarray(offset + 33, offset + 33 + image[offset + 32]);
    if (id.length === 1) continue; // `.` and `..`
    const extent = image.readUInt32LE(offset + 2);
    const size = image.readUInt32LE(offset + 10);
    files.set(Buffer.from(id).swap16().toString('utf16le'), image.subarray(extent * SECTOR, extent * SECTOR + size));
  }
  return files;
}

describe('an ISO 9660 image with Joliet names', () => {
  it('holds each file under its own name, whole, across as many sectors as it needs', () => {
    const userData = Buffer.from(`#cloud-config\n${'runcmd: [echo, hi]\n'.repeat(400)}`);
    const image = isoImage('cidata', [
      { name: 'user-data', data: userData },
      { name: 'meta-data', data: Buffer.from('{"local-hostname": "web-1"}') },
      { name: 'network-config', data: Buffer.alloc(0) },
    ]);
    const files = jolietRoot(image);
    expect([...files.keys()]).toEqual(['meta-data', 'network-config', 'user-data']);
    expect(files.get('user-data')).toEqual(userData);
    expect(files.get('meta-data')!.toString()).toBe('{"local-hostname": "web-1"}');
    expect(files.get('network-config')!.length).toBe(0);
  });

  it('is labelled in both volume descriptors and says its own size', () => {
    const image = isoImage('cidata', [{ name: 'meta-data', data: Buffer.from('{}') }]);
    expect(image.toString('ascii', 16 * SECTOR + 1, 16 * SECTOR + 6)).toBe('CD001');
    expect(image.toString('ascii', 16 * SECTOR + 40, 16 * SECTOR + 72).trimEnd()).toBe('cidata');
    expect(Buffer.from(image.subarray(17 * SECTOR + 40, 17 * SECTOR + 72)).swap16().toString('utf16le').trimEnd()).toBe('cidata');
    expect(image[18 * SECTOR]).toBe(255); // the descriptors' terminator
    expect(image.readUInt32LE(16 * SECTOR + 80) * SECTOR).toBe(image.length);
    // Over 64 KiB: a probe that reads that much first must find a file system here.
    expect(image.length).toBeGreaterThan(64 * 1024);
  });

  it('refuses a name the image cannot hold, or two that would be one in ISO 9660, naming them', () => {
    expect(() => isoImage('cidata', [{ name: '../etc/passwd', data: Buffer.alloc(1) }])).toThrow('"../etc/passwd"');
    expect(() => isoImage('cidata', [{ name: 'a-b', data: Buffer.alloc(1) }, { name: 'a_b', data: Buffer.alloc(1) }])).toThrow('a-b, a_b');
    expect(() => isoImage('ci data', [])).toThrow('"ci data"');
  });
});
