import { createHash, randomBytes } from 'node:crypto';
import { mkdtempSync, rmSync, writeFileSync } from 'node:fs';
import os from 'node:os';
import path from 'node:path';
import { sha256Of } from './backup-streams.js';

describe('sha256Of, the checksum a restore compares with its backup', () => {
  const dir = mkdtempSync(path.join(os.tmpdir(), 'awan-sha256-'));
  afterAll(() => rmSync(dir, { recursive: true, force: true }));

  // Empty, shorter than one read, and on either side of its 4 MiB reads' edges.
  it.each([0, 1, 4 * 1024 ** 2 - 1, 4 * 1024 ** 2, 4 * 1024 ** 2 + 1, 9 * 1024 ** 2 + 7])('is the sha256 of every byte of a file of %d bytes', async (size) => {
    const bytes = randomBytes(size);
    const file = path.join(dir, `file-${size}`);
    writeFileSync(file, bytes);
    expect(await sha256Of(file)).toBe(createHash('sha256').update(bytes).digest('hex'));
  });

  it('fails for a file that is not there', async () => {
    await expect(sha256Of(path.join(dir, 'missing'))).rejects.toMatchObject({ code: 'ENOENT' });
  });
});
