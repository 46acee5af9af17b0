import { createHash } from 'node:crypto';
import { mkdtempSync, readFileSync, rmSync } from 'node:fs';
import http from 'node:http';
import type { AddressInfo } from 'node:net';
import os from 'node:os';
import path from 'node:path';
import { fetchImage, type FetchLimits } from './image-fetch.js';

/** Small windows, so that a slow source is found out in a test's time: at least 1,000 bytes every 0.3 s. */
const LIMITS: FetchLimits = { maxBytes: 1024 * 1024, windowMs: 300, minBytesPerWindow: 1000 };
const IMAGE = Buffer.alloc(200_000, 'disk ');

/**
 * Downloads of an image from a local HTTP server: one that comes whole, and sources that never
 * finish, whether they send nothing or keep sending a few bytes at a time.
 */
describe('fetching an image', () => {
  const work = mkdtempSync(path.join(os.tmpdir(), 'awan-image-fetch-'));
  let server: http.Server;
  let base: string;

  beforeAll(async () => {
    server = http.createServer((req, res) => {
      if (req.url === '/whole') return res.end(IMAGE);
      res.writeHead(200, { 'content-type': 'application/octet-stream' });
      // `/silent` sends its headers and then nothing; `/trickle` 10 bytes every 50 ms, never ending.
      if (req.url === '/trickle') {
        const drip = setInterval(() => res.write('0123456789'), 50);
        res.on('close', () => clearInterval(drip));
      }
    });
    await new Promise<void>((resolve) => server.listen(0, '127.0.0.1', resolve));
    base = `http://127.0.0.1:${(server.address() as AddressInfo).port}`;
  });
  afterAll(async () => {
    server.closeAllConnections();
    await new Promise((resolve) => server.close(resolve));
    rmSync(work, { recursive: true, force: true });
  });

  it('writes the whole file, with its checksum', async () => {
    const target = path.join(work, 'whole');
    const fetched = await fetchImage(`${base}/whole`, work, target, LIMITS);
    expect(fetched).toEqual({ sha256: createHash('sha256').update(IMAGE).digest('hex'), bytes: IMAGE.length });
    expect(readFileSync(target).equals(IMAGE)).toBe(true);
  });

  it.each([
    ['sends nothing', 'silent', /\(0 bytes in 0\.3 s, fewer than the 1000 an import needs\)$/],
    ['keeps sending a few bytes at a time', 'trickle', /\(\d{2,3} bytes in 0\.3 s, fewer than the 1000 an import needs\)$/],
  ])('gives up on a source that %s, as unreachable', async (_case, name, reason) => {
    const started = performance.now();
    const error = await fetchImage(`${base}/${name}`, work, path.join(work, name), LIMITS).catch((e: unknown) => e);
    expect(error).toMatchObject({ code: 'BAD_USER_INPUT', message: expect.stringMatching(new RegExp(`^unreachable: ${base}/${name} `)) });
    expect((error as Error).message).toMatch(reason);
    expect(performance.now() - started).toBeLessThan(1000);
  });
});
