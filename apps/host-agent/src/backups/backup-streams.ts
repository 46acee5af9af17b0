import { spawn, type ChildProcess } from 'node:child_process';
import { createHash, type Hash } from 'node:crypto';
import { createReadStream, createWriteStream } from 'node:fs';
import { Transform, type Readable, type Writable } from 'node:stream';
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
 * Starts a program with an argument vector (never a shell), its standard input and output piped
 * where asked, with a deadline; `done` settles once it has exited.
 */
export function start(program: string, args: readonly string[], stdio: { stdin?: boolean; stdout?: boolean } = {}): Piped {
  const child = spawn(program, args, {
    stdio: [stdio.stdin ? 'pipe' : 'ignore', stdio.stdout ? 'pipe' : 'ignore', 'pipe'],
    timeout: BACKUP_PROGRAM_TIMEOUT_MS,
    killSignal: 'SIGKILL',
  });
  let stderr = '';
  child.stderr!.on('data', (chunk: Buffer) => {
    if (stderr.length < STDERR_KEPT) stderr += chunk.toString('utf8');
  });
  // A reader that ended early (a program that failed) must not crash the agent with EPIPE.
  child.stdin?.on('error', () => undefined);
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
  await settleAll([pipeline(source, hashing, createWriteStream(file, { mode: 0o600, flags: 'wx' })), ...feeders.map((f) => f.done)]);
  return { sha256: hashing.hash.digest('hex'), bytes: hashing.bytes };
}

/** Feeds `file` into `target` (a program's standard input), hashing it on the way: its sha256, once the consumers are done. */
export async function readHashed(file: string, target: Writable, consumers: Piped[]): Promise<string> {
  const hashing = new Hashing();
  await settleAll([pipeline(createReadStream(file), hashing, target), ...consumers.map((c) => c.done)]);
  return hashing.hash.digest('hex');
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

/** The sha256 of a whole file. */
export async function sha256Of(file: string): Promise<string> {
  const hashing = new Hashing();
  await pipeline(createReadStream(file), hashing, async function* drain(source: AsyncIterable<Buffer>) {
    for await (const _ of source);
  });
  return hashing.hash.digest('hex');
}

/**
 * Decompresses a stored file into a consumer while checking its checksum in the same pass. Where
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
