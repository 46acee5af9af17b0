import { spawn, type ChildProcess } from 'node:child_process';
import { createHash, type Hash } from 'node:crypto';
import { createWriteStream } from 'node:fs';
import { open } from 'node:fs/promises';
import { Transform, type Readable } from 'node:stream';
import { pipeline } from 'node:stream/promises';
import { ProgramError } from '../host/program.js';

/** A backup of a large disk takes a while: no program of one runs longer than this. */
export const BACKUP_PROGRAM_TIMEOUT_MS = 6 * 3_600_000;
/** What a program's failure keeps of its standard error. */
const STDERR_KEPT = 4096;

/** A program of a pipeline: its process, and its end (rejected with what it said on a non-zero exit). */
export interface Piped {
  child: ChildProcess;
  done: Promise<void>;
}

/**
 * Starts a program with an argument vector (never a shell), its standard output piped where asked,
 * with a deadline; `done` settles once it has exited. Its standard input, where given, is another
 * program's output (started with stdout), joined as a shell's `|` joins them: relayed through this
 * process, the bytes cost a backup CPU and throughput (bench/backups).
 */
export function start(program: string, args: readonly string[], stdio: { stdin?: Piped; stdout?: boolean } = {}): Piped {
  const upstream = stdio.stdin?.child.stdout ?? null;
  const child = spawn(program, args, {
    stdio: [upstream ?? 'ignore', stdio.stdout ? 'pipe' : 'ignore', 'pipe'],
    timeout: BACKUP_PROGRAM_TIMEOUT_MS,
    killSignal: 'SIGKILL',
  });
  // The pipe is the two programs' alone: with no end of it kept here, a reader that failed is its writer's EPIPE.
  upstream?.destroy();
  let stderr = '';
  child.stderr!.on('data', (chunk: Buffer) => {
    if (stderr.length < STDERR_KEPT) stderr += chunk.toString('utf8');
  });
  const done = new Promise<void>((resolve, reject) => {
    child.on('error', (error) => reject(new ProgramError(program, args, null, error.message)));
    child.on('close', (code, signal) => (code === 0 ? resolve() : reject(new ProgramError(program, args, code, stderr || `ended by ${signal}`))));
  });
  return { child, done };
}

/** Passes bytes through unchanged, hashing and counting them. */
class Hashing extends Transform {
  readonly hash: Hash = createHash('sha256');
  bytes = 0;

  override _transform(chunk: Buffer, _encoding: BufferEncoding, callback: (error?: Error | null, data?: Buffer) => void): void {
    this.hash.update(chunk);
    this.bytes += chunk.length;
    callback(null, chunk);
  }
}

/**
 * Writes `source` to `file` (a new file, 0600), hashing it on the way: the sha256 and size of
 * exactly what was written. The programs feeding `source` are awaited too, so a failed one is the error.
 */
export async function writeHashed(source: Readable, file: string, feeders: Piped[]): Promise<{ sha256: string; bytes: number }> {
  const hashing = new Hashing();
  // Room for a MiB of writes under way: with the default 16 KiB, each 64 KiB the pipe gives stops the
  // reading until it is on disk, and the compressor waits on its full pipe meanwhile.
  const writing = createWriteStream(file, { mode: 0o600, flags: 'wx', highWaterMark: 1024 ** 2 });
  await settleAll([pipeline(source, hashing, writing), ...feeders.map((f) => f.done)]);
  return { sha256: hashing.hash.digest('hex'), bytes: hashing.bytes };
}

/**
 * Hashes `file` while `readers` (programs given its path) read it themselves: its sha256, once they
 * are done. Fed through this process instead, a restore ran at half the decompressor's speed.
 */
export async function readHashed(file: string, readers: Piped[]): Promise<string> {
  const hashing = sha256Of(file);
  await settleAll([hashing, ...readers.map((r) => r.done)]);
  return hashing;
}

/**
 * Waits for every step, then throws the most telling failure: a program's (it says why) before a
 * stream's (a broken pipe is only the symptom), and a full disk before anything.
 */
async function settleAll(steps: Promise<unknown>[]): Promise<void> {
  const failures = (await Promise.allSettled(steps)).flatMap((r) => (r.status === 'rejected' ? [r.reason as Error] : []));
  if (failures.length === 0) return;
  throw failures.find(isNoSpace) ?? failures.find((f) => f instanceof ProgramError) ?? failures[0];
}

/** Whether an error is a full filesystem's, as Node or a program reports it. */
export function isNoSpace(error: unknown): boolean {
  const e = error as NodeJS.ErrnoException & { stderr?: string };
  return e?.code === 'ENOSPC' || /No space left on device/i.test(e?.stderr ?? e?.message ?? '');
}

/** What sha256Of reads at a time. */
const HASH_READ_BYTES = 4 * 1024 ** 2;

/**
 * The sha256 of a whole file, read into two buffers in turn, the next read under way while the last
 * is hashed: 0.35 s for 550 MB from the page cache, where a read stream of 1 MiB chunks took 0.77 s,
 * half of it the stream's own work, beside a restore's decompressor on the other core.
 */
export async function sha256Of(file: string): Promise<string> {
  const hash = createHash('sha256');
  const handle = await open(file, 'r');
  try {
    const buffers = [Buffer.allocUnsafe(HASH_READ_BYTES), Buffer.allocUnsafe(HASH_READ_BYTES)];
    let reading = handle.read(buffers[0], 0, HASH_READ_BYTES, null);
    for (let next = 1; ; next ^= 1) {
      const { bytesRead, buffer } = await reading;
      if (bytesRead === 0) break;
      reading = handle.read(buffers[next], 0, HASH_READ_BYTES, null);
      hash.update(buffer.subarray(0, bytesRead));
    }
  } finally {
    await handle.close();
  }
  return hash.digest('hex');
}

/**
 * Decompresses a stored file into a consumer while checking its checksum (zstd's frames carry
 * checksums of their own, so what the decompressor read is checked too). Where
 * the file does not match (or the pass failed because it was damaged), answers why; where it
 * matched, null. Anything else that failed is thrown.
 */
export async function verifiedRead(source: string, expected: string, feed: (source: string) => Promise<string>): Promise<{ corrupt: string } | null> {
  let actual: string;
  try {
    actual = await feed(source);
  } catch (error) {
    // A damaged file often stops the decompressor first: the checksum tells whether that was why.
    actual = await sha256Of(source);
    if (actual === expected) throw error;
  }
  return actual === expected ? null : { corrupt: `checksum mismatch: the stored file's sha256 is ${actual}, the backup was written with ${expected}` };
}
