import { execFile } from 'node:child_process';
import { readFile } from 'node:fs/promises';

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
 * Runs a program with an argument vector, never through a shell, with a deadline.
 * Resolves with its standard output; a non-zero exit rejects with its standard error.
 */
export function runProgram(program: string, args: readonly string[], options: { timeoutMs?: number } = {}): Promise<string> {
  return new Promise((resolve, reject) => {
    execFile(
      program,
      args,
      { timeout: options.timeoutMs ?? 60_000, maxBuffer: 16 * 1024 * 1024, encoding: 'utf8', shell: false },
      (error, stdout, stderr) => {
        if (error) {
          const code = typeof error.code === 'number' ? error.code : null;
          reject(new ProgramError(program, args, code, stderr || error.message));
        } else {
          resolve(stdout);
        }
      },
    );
  });
}

/** Gone, or a zombie waiting for a parent that may never reap it (a daemonized process's is init). */
export async function processGone(pid: number): Promise<boolean> {
  const stat = await readFile(`/proc/${pid}/stat`, 'utf8').catch(() => null);
  return stat === null || stat.slice(stat.lastIndexOf(')') + 2).startsWith('Z');
}
