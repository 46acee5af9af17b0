import { createHash } from 'node:crypto';
import { mkdtempSync, rmSync } from 'node:fs';
import { mkdir, open, readFile, symlink, writeFile } from 'node:fs/promises';
import http from 'node:http';
import type { AddressInfo } from 'node:net';
import os from 'node:os';
import path from 'node:path';
import type { ImageImportRequest } from '#libs/contracts';
import { describeWithHardware, missingHardware } from '#libs/testing';
import { runProgram } from '../host/program.js';
import { buildBusyboxRootfs } from './dev-images.js';
import { ImageImports, IMPORT_LIMITS } from './image-imports.js';

const sha256Of = async (file: string) => createHash('sha256').update(await readFile(file)).digest('hex');

/**
 * The agent's import of catalog images, with the real qemu-img and tar, from a local HTTP server
 * and from the image storage: what is stored, and what is refused and why.
 */
describeWithHardware('importing catalog images on a host', missingHardware({ qemu: true }), () => {
  const work = mkdtempSync(path.join(os.tmpdir(), 'awan-image-import-'));
  const served = path.join(work, 'served');
  const imagesDir = path.join(work, 'storage', 'images');
  const requests: string[] = [];
  let server: http.Server;
  let base: string;
  let imports: ImageImports;

  /** A file the test's HTTP server serves, and its checksum. */
  async function serve(name: string, make: (file: string) => Promise<unknown>): Promise<{ url: string; sha256: string }> {
    const file = path.join(served, name);
    await make(file);
    return { url: `${base}/${name}`, sha256: await sha256Of(file) };
  }
  const request = (imageId: string, kind: 'VM' | 'CONTAINER', source: string, sha256: string): ImageImportRequest => ({ imageId, kind, source, sha256 });

  beforeAll(async () => {
    await mkdir(served, { recursive: true });
    await mkdir(imagesDir, { recursive: true });
    server = http.createServer((req, res) => {
      requests.push(req.url!);
      const file = path.join(served, path.basename(req.url!));
      readFile(file).then((data) => res.end(data), () => res.writeHead(404).end());
    });
    await new Promise<void>((resolve) => server.listen(0, '127.0.0.1', resolve));
    base = `http://127.0.0.1:${(server.address() as AddressInfo).port}`;
    imports = new ImageImports(imagesDir);
  });
  afterAll(async () => {
    await new Promise((resolve) => server.close(resolve));
    rmSync(work, { recursive: true, force: true });
  });

  it('stores a qcow2 as it is, with its virtual size, once however often it is asked', async () => {
    const { url, sha256 } = await serve('disk.qcow2', (file) => runProgram('qemu-img', ['create', '-q', '-f', 'qcow2', file, '2G']));
    const imported = await imports.import(request('disk', 'VM', url, sha256));
    expect(imported).toEqual({ imageId: 'disk', location: path.join(imagesDir, 'catalog', 'disk.qcow2'), sizeMb: 1, virtualSizeMb: 2048 });
    expect(await sha256Of(imported.location)).toBe(sha256);
    const fetched = requests.length;
    // Asked again (compute retrying, or another host of the storage): answered from the storage, not fetched again.
    expect(await new ImageImports(imagesDir).import(request('disk', 'VM', url, sha256))).toEqual(imported);
    expect(requests.length).toBe(fetched);
    // Another file under the same id never replaces the one instances may be running on.
    await expect(imports.import(request('disk', 'VM', url, 'f'.repeat(64)))).rejects.toMatchObject({ code: 'CONFLICT' });
  });

  it('converts a raw disk to qcow2', async () => {
    const { url, sha256 } = await serve('disk.raw', async (file) => {
      await runProgram('qemu-img', ['create', '-q', '-f', 'raw', file, '8M']);
      const handle = await open(file, 'r+');
      await handle.write(Buffer.from([0x55, 0xaa]), 0, 2, 510); // a partition table's boot signature
      await handle.close();
    });
    const imported = await imports.import(request('raw-disk', 'VM', url, sha256));
    expect(imported).toMatchObject({ location: path.join(imagesDir, 'catalog', 'raw-disk.qcow2'), virtualSizeMb: 8 });
    expect(JSON.parse(await runProgram('qemu-img', ['info', '--output=json', '-f', 'qcow2', imported.location]))).toMatchObject({ format: 'qcow2', 'virtual-size': 8 * 1024 * 1024 });
  });

  it('stores a rootfs tarball, and imports from a path under the image storage', async () => {
    const { url, sha256 } = await serve('rootfs.tar.gz', (file) => buildBusyboxRootfs(file));
    expect(await imports.import(request('busybox', 'CONTAINER', url, sha256))).toMatchObject({ location: path.join(imagesDir, 'catalog', 'busybox.tar'), virtualSizeMb: null });
    await mkdir(path.join(imagesDir, 'uploads'));
    await buildBusyboxRootfs(path.join(imagesDir, 'uploads', 'rootfs.tar.gz'));
    const local = await sha256Of(path.join(imagesDir, 'uploads', 'rootfs.tar.gz'));
    expect(await imports.import(request('busybox-local', 'CONTAINER', 'uploads/rootfs.tar.gz', local))).toMatchObject({ location: path.join(imagesDir, 'catalog', 'busybox-local.tar') });
  });

  it('refuses, naming why, and keeps nothing of what it refused', async () => {
    const qcow2 = await serve('good.qcow2', (file) => runProgram('qemu-img', ['create', '-q', '-f', 'qcow2', file, '1G']));
    const text = await serve('notes.qcow2', (file) => writeFile(file, 'these are notes, not a disk\n'));
    const shadow = await serve('shadow.qcow2', (file) => runProgram('qemu-img', ['create', '-q', '-f', 'qcow2', '-b', '/etc/shadow', '-F', 'raw', file, '1G']));
    const dataFile = await serve('data-file.qcow2', (file) => runProgram('qemu-img', ['create', '-q', '-f', 'qcow2', '-o', `data_file=${file}.data`, file, '10M']));
    const escaping = await serve('escaping.tar', (file) => runProgram('tar', ['-cf', file, '-C', work, '--transform', 's,^,../,', 'served/notes.qcow2']));
    const absolute = await serve('absolute.tar', (file) => runProgram('tar', ['-cPf', file, path.join(served, 'notes.qcow2')]));
    await symlink('/etc/shadow', path.join(imagesDir, 'shadow-link'));
    // A port nothing listens on any more.
    const closed = http.createServer();
    await new Promise<void>((resolve) => closed.listen(0, '127.0.0.1', resolve));
    const closedPort = (closed.address() as AddressInfo).port;
    await new Promise((resolve) => closed.close(resolve));

    const refusals: [ImageImportRequest, RegExp][] = [
      [request('wrong-sum', 'VM', qcow2.url, '0'.repeat(64)), /^checksum mismatch: the file's sha256 is [0-9a-f]{64}, not 0{64}$/],
      [request('text', 'VM', text.url, text.sha256), /^not an image: neither qcow2 nor a raw disk/],
      [request('shadow', 'VM', shadow.url, shadow.sha256), /a qcow2 with a backing file/],
      [request('data-file', 'VM', dataFile.url, dataFile.sha256), /a qcow2 with an external data file/],
      [request('text-rootfs', 'CONTAINER', text.url, text.sha256), /^not an image: not a tar archive/],
      [request('escaping', 'CONTAINER', escaping.url, escaping.sha256), /member \.\.\/served\/notes\.qcow2 climbs out with \.\./],
      [request('absolute', 'CONTAINER', absolute.url, absolute.sha256), /has an absolute path/],
      [request('missing', 'VM', `${base}/missing.qcow2`, qcow2.sha256), /^unreachable: .* answered HTTP 404$/],
      [request('closed', 'VM', `http://127.0.0.1:${closedPort}/x.qcow2`, qcow2.sha256), /^unreachable: http:\/\/127\.0\.0\.1:\d+\/x\.qcow2 \(.*ECONNREFUSED.*\)$/],
      [request('link', 'VM', 'shadow-link', qcow2.sha256), /leads outside the image storage/],
      [request('climb', 'VM', '../served/good.qcow2', qcow2.sha256), /is not a path under the image storage/],
      [request('absolute-path', 'VM', '/etc/shadow', qcow2.sha256), /is not a path under the image storage/],
    ];
    for (const [refused, reason] of refusals) {
      await expect(imports.import(refused)).rejects.toMatchObject({ code: 'BAD_USER_INPUT', message: expect.stringMatching(reason) });
    }
    const small = new ImageImports(imagesDir, { ...IMPORT_LIMITS, maxBytes: 64 * 1024 });
    await expect(small.import(request('large', 'VM', qcow2.url, qcow2.sha256))).rejects.toMatchObject({ message: 'too large: the image is over 65536 bytes' });
    const stored = (await runProgram('ls', ['-A', path.join(imagesDir, 'catalog')])).split('\n').filter(Boolean);
    expect(stored.filter((name) => refusals.some(([r]) => name.startsWith(`${r.imageId}.`)) || name.startsWith('large') || name.startsWith('.import'))).toEqual([]);
  });
});
