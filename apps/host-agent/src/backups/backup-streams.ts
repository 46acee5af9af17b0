import { spawn, type ChildProcess } from 'node:child_process';
import { createHash } from 'node:crypto';
import { type FileHandle, open, readFile } from 'node:fs/promises';
import { setTimeout as sleep } from 'node:timers/promises';
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
 * Starts a program with an argument vector (never a shell), with a deadline; `done` settles once it
 * has exited. Its standard input, where given, is another program's output (started with `stdout:
 * true`), joined as a shell's `|` joins them; its standard output, where given a file (newFile), is
 * written by the program itself: relayed through this process, the bytes cost a backup CPU and
 * throughput (bench/backups). The program has its own copy of the file: the caller closes its handle.
 */
export function start(program: string, args: readonly string[], stdio: { stdin?: Piped; stdout?: true | FileHandle } = {}): Piped {
  const upstream = stdio.stdin?.child.stdout ?? null;
  let child: ChildProcess;
  try {
    child = spawn(program, args, {
      stdio: [upstream ?? 'ignore', stdio.stdout === true ? 'pipe' : (stdio.stdout?.fd ?? 'ignore'), 'pipe'],
      timeout: BACKUP_PROGRAM_TIMEOUT_MS,
      killSignal: 'SIGKILL',
    });
  } finally {
    // The pipe is the two programs' alone: with no end of it kept here, a reader that failed (or
    // never started) is its writer's EPIPE.
    upstream?.destroy();
  }
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

/** The least a program must write in each window; fewer bytes is a stall (curl's --speed-limit over --speed-time). */
export interface ProgressFloor {
  windowMs: number;
  minBytes: number;
}

/**
 * Watches `watched` write (its `wchar` in /proc/<pid>/io: this host's kernel counts it, so the watch
 * never touches the storage written to, which may be what hangs). Once it writes fewer than
 * `floor.minBytes` in a window, every program of `pipeline` is sent SIGKILL. The answer ends the
 * watch, and says why the pipeline was stopped, or null where it was not.
 */
export function stopWhenStalled(watched: Piped, pipeline: Piped[], floor: ProgressFloor): () => string | null {
  let before = 0;
  let stalled: string | null = null;
  let watching = true;
  const timer = setInterval(() => {
    void bytesWritten(watched.child.pid!).then((now) => {
      if (!watching || now === null || stalled !== null) return; // ended meanwhile
      if (now - before < floor.minBytes) {
        stalled = `${now - before} bytes written in ${floor.windowMs / 1000} s, fewer than the ${floor.minBytes} a backup needs`;
        for (const { child } of pipeline) child.kill('SIGKILL');
      }
      before = now;
    });
  }, floor.windowMs);
  const stop = () => {
    watching = false;
    clearInterval(timer);
    return stalled;
  };
  watched.done.then(stop, stop);
  return stop;
}

/** What a process has written so far, as its kernel counts it; null once it is gone. */
async function bytesWritten(pid: number): Promise<number | null> {
  const io = await readFile(`/proc/${pid}/io`, 'utf8').catch(() => null);
  const wchar = io?.match(/^wchar: (\d+)$/m);
  return wchar ? Number(wchar[1]) : null;
}

/**
 * A new file (0600, never one already there) for a program to write (`start`'s stdout). Opened off
 * the event loop, as the file is in the backup store, which may hang: a synchronous open there would
 * hold the whole agent, its heartbeat too, and so have the host fenced.
 */
export const newFile = (file: string): Promise<FileHandle> => open(file, 'wx', 0o600);

/**
 * The sha256 and size of `file` as `writers` leave it (programs writing it, the last one given it as
 * its stdout), hashed as it grows: read back from the page cache beside them, where relaying
 * their output through this process to hash it took a tenth longer. A failed writer is the error.
 */
export async function hashWritten(file: string, writers: Piped[]): Promise<{ sha256: string; bytes: number }> {
  const written = settleAll(writers.map((w) => w.done));
  const hashing = hashOf(file, written);
  await settleAll([written, hashing]);
  return hashing;
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

/** What a hash of a file reads at a time. */
const HASH_READ_BYTES = 4 * 1024 ** 2;
/** How long a hash of a file being written waits, having read all there is, before it reads again. */
const GROWING_WAIT_MS = 5;

/** The sha256 of a whole file. */
export async function sha256Of(file: string): Promise<string> {
  return (await hashOf(file)).sha256;
}

/**
 * The sha256 and size of `file`, read into two buffers in turn, the next read under way while the
 * last is hashed: 0.35 s for 550 MB from the page cache, where a read stream of 1 MiB chunks took
 * 0.77 s, half of it the stream's own work, beside a restore's decompressor on the other core. While
 * `writing` (its writers' end) is unsettled, the end of the file is only as far as they got.
 */
async function hashOf(file: string, writing?: Promise<unknown>): Promise<{ sha256: string; bytes: number }> {
  let written = writing === undefined;
  const settled = writing?.then(() => (written = true), () => (written = true));
  const hash = createHash('sha256');
  let bytes = 0;
  const handle = await open(file, 'r');
  try {
    // Whether the writers were done when a read began: an end of file it meets then is the file's.
    const read = async (buffer: Buffer) => {
      const final = written;
      return { ...(await handle.read(buffer, 0, HASH_READ_BYTES, null)), final };
    };
    let [current, spare] = [Buffer.allocUnsafe(HASH_READ_BYTES), Buffer.allocUnsafe(HASH_READ_BYTES)];
    let reading = read(current);
    for (;;) {
      const { bytesRead, final } = await reading;
      if (bytesRead === 0) {
        if (final) break;
        await Promise.race([settled, sleep(GROWING_WAIT_MS)]);
        reading = read(current);
        continue;
      }
      reading = read(spare);
      hash.update(current.subarray(0, bytesRead));
      bytes += bytesRead;
      [current, spare] = [spare, current];
    }
  } finally {
    await handle.close();
  }
  return { sha256: hash.digest('hex'), bytes };
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
