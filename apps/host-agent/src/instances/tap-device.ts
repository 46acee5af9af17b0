import { runProgram } from '../host/program.js';

/** The VM's tap interface: `awt` + 12 hex digits of its id, within Linux's 15-character limit. */
export function tapName(instanceId: string): string {
  return `awt${instanceId.replace(/-/g, '').slice(0, 12)}`;
}

async function exists(name: string): Promise<boolean> {
  return runProgram('ip', ['link', 'show', 'dev', name]).then(
    () => true,
    () => false,
  );
}

/** Creates the tap on `bridge` (again after a host restart); idempotent. */
export async function ensureTap(name: string, bridge: string): Promise<void> {
  if (!(await exists(name))) await runProgram('ip', ['tuntap', 'add', 'dev', name, 'mode', 'tap']);
  await runProgram('ip', ['link', 'set', 'dev', name, 'master', bridge]);
  await runProgram('ip', ['link', 'set', 'dev', name, 'up']);
}

export async function removeTap(name: string): Promise<void> {
  if (await exists(name)) await runProgram('ip', ['link', 'delete', 'dev', name]);
}
