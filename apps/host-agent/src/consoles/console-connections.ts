import { spawn } from 'node:child_process';
import net from 'node:net';
import type { Readable, Writable } from 'node:stream';
import { AppError } from '#libs/contracts';

/** One connection of the agent's to an instance's console on this host: its output, its input, and its end. */
export interface ConsoleConnection {
  output: Readable;
  input: Writable;
  /** Resolves once, with why the connection ended (the instance stopped, the console program ended). */
  ended: Promise<string>;
  close(): void;
}

/**
 * A VM's console socket in its runtime folder (QEMU's serial chardev, or its VNC display). QEMU's
 * serial socket takes one client at a time (ConsoleAttachments shares it among sessions); its VNC
 * server takes many, each with its own RFB handshake.
 */
export function connectUnixSocket(socketPath: string, what: string): Promise<ConsoleConnection> {
  return new Promise((resolve, reject) => {
    const socket = net.connect(socketPath);
    socket.once('error', (error: NodeJS.ErrnoException) => {
      // No socket, or no QEMU behind it: the VM does not run here, or an agent before consoles started it.
      if (error.code === 'ENOENT' || error.code === 'ECONNREFUSED') {
        reject(AppError.conflict(`the ${what} is not there: the VM is not running on this host, or was started before consoles (stop it and start it again)`));
      } else {
        reject(error);
      }
    });
    socket.once('connect', () => {
      socket.removeAllListeners('error');
      const ended = new Promise<string>((done) => {
        // Every error is handled (a write after QEMU went away is one), and the first says why it ended.
        socket.on('error', (error) => done(`the ${what} failed: ${error.message}`));
        socket.once('close', () => done(`the ${what} closed (the VM stopped)`));
      });
      resolve({ output: socket, input: socket, ended, close: () => socket.destroy() });
    });
  });
}

/** How long `lxc-console` has to fail (an unknown or stopped container, a console another client holds) before it counts as attached. */
const LXC_ATTACH_GRACE_MS = 700;

/**
 * A container's console: `lxc-console` needs a terminal, so util-linux `script` runs it on a
 * pseudo-terminal of its own and relays it to pipes. `script -c` hands its command to a shell: that
 * command is a constant, and the container's path and name reach it as environment variables, so no
 * value of ours is ever parsed by the shell. `-e -1`: no escape key, every byte typed is the
 * console's (Ctrl+a q would leave it). LXC gives its console to one client at a time.
 */
export function attachLxcConsole(lxcPath: string, containerName: string): Promise<ConsoleConnection> {
  const child = spawn(
    'script',
    ['--quiet', '--return', '--flush', '--echo', 'never', '--command', 'exec lxc-console -P "$AWAN_LXC_PATH" -n "$AWAN_CONTAINER" -t 0 -e -1', '/dev/null'],
    { env: { PATH: process.env.PATH ?? '/usr/sbin:/usr/bin:/sbin:/bin', SHELL: '/bin/sh', TERM: 'vt100', AWAN_LXC_PATH: lxcPath, AWAN_CONTAINER: containerName }, stdio: ['pipe', 'pipe', 'pipe'] },
  );
  // A write after the program ended (EPIPE) is no crash: its end is reported by `ended`.
  child.stdin.on('error', () => undefined);
  const said: Buffer[] = [];
  const listen = (chunk: Buffer) => said.push(chunk);
  child.stdout.on('data', listen);
  child.stderr.on('data', listen);
  const exited = new Promise<void>((done) => child.once('close', () => done()));
  const ended = new Promise<string>((done) => {
    child.once('error', (error) => done(`lxc-console could not run: ${error.message}`));
    void exited.then(() => done('the console closed (the container stopped)'));
  });
  const close = () => {
    if (child.exitCode === null && child.signalCode === null) child.kill('SIGTERM');
  };
  return new Promise((resolve, reject) => {
    const timer = setTimeout(() => {
      child.stdout.off('data', listen);
      child.stderr.off('data', listen);
      child.stderr.resume();
      child.stdout.pause();
      // What it said before counts as the console's output: the first session hears it.
      if (said.length > 0) child.stdout.unshift(Buffer.concat(said));
      resolve({ output: child.stdout, input: child.stdin, ended, close });
    }, LXC_ATTACH_GRACE_MS);
    void ended.then(() => {
      clearTimeout(timer);
      const why = Buffer.concat(said).toString('utf8').replace(/\s+/g, ' ').trim().slice(0, 300);
      reject(AppError.conflict(`the container's console could not be attached${why ? `: ${why}` : ''}`));
    });
  });
}
