// How the agent runs a program, and its program runner (program.ts: runProgramsApart): this file
// run as a process of its own forks each program it is asked over its IPC channel and answers how
// it ended. It loads nothing but child_process, so it stays small and a fork from it stays cheap.
import { execFile } from 'node:child_process';

/** One program to run, as the program runner is asked it. */
export interface ProgramRun {
  id: number;
  program: string;
  args: readonly string[];
  timeoutMs: number;
  input?: string;
}

/** How a program run ended: its output, and why it failed where it did. */
export interface ProgramRunReply {
  id: number;
  stdout: string;
  stderr: string;
  failure: { exitCode: number | null; message: string } | null;
}

const MAX_OUTPUT_BYTES = 16 * 1024 * 1024;
/** How long a program past its deadline has to end once sent SIGTERM, and then once sent SIGKILL. */
const END_GRACE_MS = 5_000;

/**
 * Forks the program from this process, never through a shell, and answers how it ended. Past its
 * deadline it is sent SIGTERM; one that ignores that is killed; one that does not end even then (in
 * uninterruptible I/O on a hung share, or its output held open by a process it left behind) is
 * answered as failed rather than waited for.
 */
export function execute(run: ProgramRun): Promise<ProgramRunReply> {
  return new Promise((resolve) => {
    let stragglers: NodeJS.Timeout | undefined;
    const answer = (reply: ProgramRunReply) => {
      clearTimeout(stragglers);
      resolve(reply);
    };
    const child = execFile(run.program, run.args, { timeout: run.timeoutMs, maxBuffer: MAX_OUTPUT_BYTES, encoding: 'utf8', shell: false }, (error, stdout, stderr) => {
      answer({ id: run.id, stdout, stderr, failure: error ? { exitCode: typeof error.code === 'number' ? error.code : null, message: error.message } : null });
    });
    stragglers = setTimeout(() => {
      child.kill('SIGKILL');
      stragglers = setTimeout(() => answer({
        id: run.id, stdout: '', stderr: '',
        failure: { exitCode: null, message: `did not end within ${run.timeoutMs} ms, nor ${2 * END_GRACE_MS} ms after being told to (SIGTERM, then SIGKILL)` },
      }), END_GRACE_MS);
    }, run.timeoutMs + END_GRACE_MS);
    if (run.input !== undefined) {
      // A program that exits without reading it all fails (or not) by its exit status, not by a broken pipe.
      child.stdin!.on('error', () => undefined);
      child.stdin!.end(run.input);
    }
  });
}

if (import.meta.main) {
  process.on('message', (run: ProgramRun) => {
    void execute(run).then((reply) => process.send!(reply));
  });
  // The agent is gone, and so is its runner (programs running now go on, as they would have without it).
  process.on('disconnect', () => process.exit(0));
}
