import { createHash, randomBytes } from 'node:crypto';
import { mkdtempSync, readFileSync, rmSync, statSync, writeFileSync } from 'node:fs';
import os from 'node:os';
import path from 'node:path';
import { hashWritten, newFile, sha256Of, start, stopWhenStalled, type Piped } from './backup-streams.js';

const dir = mkdtempSync(path.join(os.tmpdir(), 'awan-sha256-'));
afterAll(() => rmSync(dir, { recursive: true, force: true }));
const sha256 = (bytes: Buffer) => createHash('sha256').update(bytes).digest('hex');
/** `start` writing a new file, as a backup's last program does. */
async function startWriting(file: string, program: string, args: string[], stdin?: Piped): Promise<Piped> {
  const output = await newFile(file);
  try {
    return start(program, args, { stdin, stdout: output });
  } finally {
    await output.close();
  }
}

describe('sha256Of, the checksum a restore compares with its backup', () => {
  // Empty, shorter than one read, and on either side of its 4 MiB reads' edges.
  it.each([0, 1, 4 * 1024 ** 2 - 1, 4 * 1024 ** 2, 4 * 1024 ** 2 + 1, 9 * 1024 ** 2 + 7])('is the sha256 of every byte of a file of %d bytes', async (size) => {
    const bytes = randomBytes(size);
    const file = path.join(dir, `file-${size}`);
    writeFileSync(file, bytes);
    expect(await sha256Of(file)).toBe(sha256(bytes));
  });

  it('fails for a file that is not there', async () => {
    await expect(sha256Of(path.join(dir, 'missing'))).rejects.toMatchObject({ code: 'ENOENT' });
  });
});

describe('hashWritten, the checksum a backup is stored with, of the file its programs write', () => {
  it('is the sha256 and size of all they wrote, over pauses that find it caught up with them, in a new file only root reads', async () => {
    const file = path.join(dir, 'bursts');
    // Three bursts of 3 MB, 100 ms apart: the hash reaches the end of what is written before the end.
    const writer = await startWriting(file, 'sh', ['-c', 'for burst in 1 2 3; do head -c 3000000 /dev/urandom; sleep 0.1; done']);
    const written = await hashWritten(file, [writer]);
    expect(written).toEqual({ sha256: sha256(readFileSync(file)), bytes: 9_000_000 });
    expect(statSync(file).mode & 0o777).toBe(0o600);
  });

  it('follows a pipeline, the last program writing the file, the first feeding it', async () => {
    const file = path.join(dir, 'piped.gz');
    const source = start('head', ['-c', '5000000', '/dev/urandom'], { stdout: true });
    const written = await hashWritten(file, [source, await startWriting(file, 'gzip', ['-1', '-c'], source)]);
    expect(written).toEqual({ sha256: sha256(readFileSync(file)), bytes: statSync(file).size });
  });

  it("fails with a writer's own failure, and never writes over a file already there", async () => {
    const failing = path.join(dir, 'failing');
    await expect(hashWritten(failing, [await startWriting(failing, 'sh', ['-c', 'head -c 1000 /dev/zero; echo "no space left" >&2; exit 3'])]))
      .rejects.toMatchObject({ name: 'ProgramError', exitCode: 3, stderr: 'no space left\n' });
    const kept = path.join(dir, 'kept');
    writeFileSync(kept, 'earlier');
    await expect(newFile(kept)).rejects.toMatchObject({ code: 'EEXIST' });
    expect(readFileSync(kept, 'utf8')).toBe('earlier');
  });
});

describe('stopWhenStalled, the floor under what an archive of a frozen container writes', () => {
  const floor = { windowMs: 200, minBytes: 1 };

  it('kills the whole pipeline once the program watched writes less than the floor in a window, and says why', async () => {
    // Nothing reads its output: it fills the pipe, then waits for ever, as tar does behind a store that takes nothing.
    const blocked = start('head', ['-c', '100000000', '/dev/zero'], { stdout: true });
    const beside = start('sleep', ['30']);
    const stalled = stopWhenStalled(blocked, [blocked, beside], floor);
    const ends = await Promise.allSettled([blocked.done, beside.done]);
    expect(ends).toEqual([0, 1].map(() => ({ status: 'rejected', reason: expect.objectContaining({ stderr: 'ended by SIGKILL' }) })));
    expect(stalled()).toBe('0 bytes written in 0.2 s, fewer than the 1 a backup needs');
  });

  it('leaves a pipeline alone that ends before it stalls', async () => {
    const source = start('head', ['-c', '1000000', '/dev/zero'], { stdout: true });
    const sink = start('cat', [], { stdin: source });
    const stalled = stopWhenStalled(source, [source, sink], floor);
    await Promise.all([source.done, sink.done]);
    await new Promise((resolve) => setTimeout(resolve, 3 * floor.windowMs));
    expect(stalled()).toBeNull();
  });
});
