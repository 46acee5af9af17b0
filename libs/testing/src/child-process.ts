import { spawn, type ChildProcess } from 'node:child_process';
import { fileURLToPath } from 'node:url';
import path from 'node:path';

const ROOT = path.resolve(path.dirname(fileURLToPath(import.meta.url)), '../../..');

export interface Fixture {
  child: ChildProcess;
  /** Everything the process wrote so far, stdout and stderr. */
  output(): string;
  /** Resolves with the exit code, or the signal that ended it. */
  exited: Promise<number | NodeJS.Signals>;
}

/**
 * Runs a TypeScript file in its own Node process (through tsx), so a test can kill it
 * with SIGKILL at a chosen point and look at what survived.
 */
export function runFixture(file: string, env: Record<string, string> = {}): Fixture {
  return runNode(['--import', 'tsx', file], env);
}

/** Runs a built program of the project (`dist/apps/compute/src/main.js`) in its own Node process. */
export function runBuilt(script: string, env: Record<string, string> = {}): Fixture {
  return runNode([script], env);
}

function runNode(args: string[], env: Record<string, string>): Fixture {
  const child = spawn(process.execPath, args, {
    cwd: ROOT,
    env: { ...process.env, ...env },
    stdio: ['ignore', 'pipe', 'pipe'],
  });
  let output = '';
  child.stdout!.on('data', (chunk) => (output += chunk));
  child.stderr!.on('data', (chunk) => (output += chunk));
  const exited = new Promise<number | NodeJS.Signals>((resolve) =>
    child.on('exit', (code, signal) => resolve(signal ?? code ?? 0)),
  );
  return { child, output: () => output, exited };
}
