import { type ChildProcess, fork } from 'node:child_process';
import { readFile } from 'node:fs/promises';
import path from 'node:path';
import { fileURLToPath } from 'node:url';
import { execute, type ProgramRun, type ProgramRunReply } from './program-runner.js';

export class ProgramError extends Error {
  constructor(
    readonly program: string,
    readonly args: readonly string[],
    readonly exitCode: number | null,
    readonly stderr: string,
  ) {
    super(`${program} ${args.join(' ')} failed (${exitCode ?? 'killed'}): ${stderr.trim().slice(0, 500)}`);
    this.name = 'ProgramError';
  }
}

/**
 * Forks programs from a small process of its own (program-runner.ts), started once. A fork copies
 * the page tables of the process that forks, on its main thread: from the agent (over 100 MB) each
 * held the agent's event loop 5 to 10 ms, longer than most of the programs it runs. Runs go and
 * come back over the runner's IPC channel; should it end, what it was running fails and the next
 * run starts another.
 */
class ProgramRunner {
  private child: ChildProcess | null = null;
  private readonly waiting = new Map<number, (reply: ProgramRunReply) => void>();
  private nextId = 1;

  run(run: Omit<ProgramRun, 'id'>): Promise<ProgramRunReply> {
    const child = this.child ?? this.start();
    const id = this.nextId++;
    return new Promise((resolve) => {
      this.waiting.set(id, resolve);
      // While a run is out, its answer keeps this process alive; otherwise the runner never does.
      child.channel?.ref();
      child.send({ ...run, id } satisfies ProgramRun, (error) => {
        if (error) this.settle({ id, stdout: '', stderr: '', failure: { exitCode: null, message: `the program runner took no run: ${error.message}` } });
      });
    });
  }

  start(): ChildProcess {
    if (this.child) return this.child;
    const here = fileURLToPath(import.meta.url);
    const child = fork(path.join(path.dirname(here), `program-runner${path.extname(here)}`), [], { stdio: ['ignore', 'inherit', 'inherit', 'ipc'], execArgv: [] });
    child.on('message', (reply: ProgramRunReply) => this.settle(reply));
    child.on('exit', () => {
      if (this.child === child) this.child = null;
      for (const id of [...this.waiting.keys()]) this.settle({ id, stdout: '', stderr: '', failure: { exitCode: null, message: 'the program runner ended' } });
    });
    child.unref();
    child.channel?.unref();
    this.child = child;
    return child;
  }

  private settle(reply: ProgramRunReply): void {
    const done = this.waiting.get(reply.id);
    if (!done) return;
    this.waiting.delete(reply.id);
    if (this.waiting.size === 0) this.child?.channel?.unref();
    done(reply);
  }
}

let runner: ProgramRunner | null = null;

/** From now on this process's programs are forked by a program runner of its own (the agent's choice: it is large). */
export function runProgramsApart(): void {
  runner ??= new ProgramRunner();
  runner.start();
}

/**
 * Runs a program with an argument vector, never through a shell, with a deadline, `input` on its
 * standard input where given. Resolves with its standard output; a non-zero exit rejects with its standard error.
 */
export async function runProgram(program: string, args: readonly string[], options: { timeoutMs?: number; input?: string } = {}): Promise<string> {
  const run = { program, args, timeoutMs: options.timeoutMs ?? 60_000, input: options.input };
  const reply = runner ? await runner.run(run) : await execute({ ...run, id: 0 });
  if (reply.failure) throw new ProgramError(program, args, reply.failure.exitCode, reply.stderr || reply.failure.message);
  return reply.stdout;
}

/**
 * The fields of a process's `/proc/<pid>/stat` after its name (state, parent pid, …), or null for a
 * process that is gone. The name comes first, in parentheses, and may itself hold spaces and parentheses.
 */
export async function processStat(pid: number): Promise<string[] | null> {
  const stat = await readFile(`/proc/${pid}/stat`, 'utf8').catch(() => null);
  return stat === null ? null : stat.slice(stat.lastIndexOf(')') + 2).split(' ');
}

/** Gone, or a zombie waiting for a parent that may never reap it (a daemonized process's is init). */
export async function processGone(pid: number): Promise<boolean> {
  const stat = await processStat(pid);
  return stat === null || stat[0] === 'Z';
}

/** Sends SIGKILL; false where the process had ended already. */
export function sendKill(pid: number): boolean {
  try {
    process.kill(pid, 'SIGKILL');
    return true;
  } catch (error) {
    if ((error as NodeJS.ErrnoException).code === 'ESRCH') return false;
    throw error;
  }
}

/**
 * SIGKILL, then waits up to `waitMs` for the process to be gone (a process may remove its pidfile
 * before it has finished exiting). One that ended since its pid was read is gone. Throws while it
 * lives on (stuck in uninterruptible I/O): it may still write what its caller would hand to another.
 */
export async function killProcess(pid: number, waitMs = 5_000): Promise<void> {
  if (sendKill(pid)) await killed(pid, waitMs);
}

/** Waits up to `waitMs` for a process sent SIGKILL to be gone, as killProcess does. */
export async function killed(pid: number, waitMs = 5_000): Promise<void> {
  for (const deadline = Date.now() + waitMs; !(await processGone(pid)); ) {
    if (Date.now() >= deadline) throw new Error(`process ${pid} still runs ${waitMs} ms after SIGKILL`);
    await new Promise((resolve) => setTimeout(resolve, 50));
  }
}
