import { execFile } from 'node:child_process';

/** A program's output, run with an argument vector as a test inspects the host (lxc-info, ip, ping); rejects on failure. */
export function runCommand(command: string, args: string[]): Promise<string> {
  return new Promise((resolve, reject) => {
    execFile(command, args, { timeout: 60_000 }, (error, stdout, stderr) => (error ? reject(new Error(`${command} ${args.join(' ')}: ${stderr || error.message}`)) : resolve(stdout)));
  });
}
