import { spawn } from 'node:child_process';
import net from 'node:net';
import path from 'node:path';
import { fileURLToPath } from 'node:url';
import { waitFor } from './environment.js';

const ROOT = path.resolve(path.dirname(fileURLToPath(import.meta.url)), '../../..');
/** The processes `npm start` runs, one port each from the gateway's. */
export const AWAN_SERVICES = ['gateway', 'compute', 'network', 'billing', 'host-agent'];

export function portIsOpen(port: number): Promise<boolean> {
  return new Promise((resolve) => {
    const socket = net.connect({ host: '127.0.0.1', port });
    socket.once('connect', () => (socket.destroy(), resolve(true)));
    socket.once('error', () => resolve(false));
  });
}

/** A base port with the five after it free, away from the defaults a developer's Awan may hold. */
export async function freePortRange(): Promise<number> {
  for (;;) {
    const base = 20000 + Math.floor(Math.random() * 20000);
    const open = await Promise.all(AWAN_SERVICES.map((_, i) => portIsOpen(base + i)));
    if (!open.some(Boolean)) return base;
  }
}

export interface Launcher {
  /** The launcher's own process: the supervisor is its child, the services the supervisor's. */
  pid: number;
  output(): string;
  stop(): Promise<number | null>;
}

/** `npm start` as a user runs it, after the build: `node dist/scripts/awan.js`. */
export async function startAwan(env: NodeJS.ProcessEnv): Promise<Launcher> {
  const child = spawn(process.execPath, ['dist/scripts/awan.js'], { cwd: ROOT, env, stdio: ['ignore', 'pipe', 'pipe'] });
  let output = '';
  child.stdout.on('data', (chunk) => (output += chunk));
  child.stderr.on('data', (chunk) => (output += chunk));
  const exited = new Promise<number | null>((resolve) => child.on('exit', (code) => resolve(code)));
  await waitFor(() => {
    if (child.exitCode !== null) throw new Error(`launcher exited early:\n${output}`);
    return output.includes('Awan is running.');
  }, 150_000, 'Awan to start');
  return {
    pid: child.pid!,
    output: () => output,
    async stop() {
      child.kill('SIGINT'); // what Ctrl-C sends
      return exited;
    },
  };
}
