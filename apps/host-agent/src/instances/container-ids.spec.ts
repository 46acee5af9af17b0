import { mkdtempSync, readFileSync, rmSync, writeFileSync } from 'node:fs';
import os from 'node:os';
import path from 'node:path';
import { allowContainerIds } from './container-ids.js';

describe("root's leave to map the containers' ids", () => {
  const dir = mkdtempSync(path.join(os.tmpdir(), 'awan-subids-'));
  const [subuid, subgid] = [path.join(dir, 'subuid'), path.join(dir, 'subgid')];
  afterAll(() => rmSync(dir, { recursive: true, force: true }));

  it('is added where a file has none or no file is there, after what it holds', async () => {
    writeFileSync(subuid, 'alice:100000:65536'); // another user's range, without a last newline
    await allowContainerIds([subuid, subgid]);
    expect(readFileSync(subuid, 'utf8')).toBe('alice:100000:65536\nroot:100000:65536\n');
    expect(readFileSync(subgid, 'utf8')).toBe('root:100000:65536\n');
  });

  it('is left as it is where root has a range covering the containers\' ids, and added once', async () => {
    writeFileSync(subuid, 'root:0:1000000\n');
    await allowContainerIds([subuid, subgid]);
    await allowContainerIds([subuid, subgid]);
    expect(readFileSync(subuid, 'utf8')).toBe('root:0:1000000\n');
    expect(readFileSync(subgid, 'utf8')).toBe('root:100000:65536\n');
  });

  it("adds its own beside root's range that covers only part of them", async () => {
    writeFileSync(subuid, 'root:100000:1000\n');
    await allowContainerIds([subuid]);
    expect(readFileSync(subuid, 'utf8')).toBe('root:100000:1000\nroot:100000:65536\n');
  });
});
