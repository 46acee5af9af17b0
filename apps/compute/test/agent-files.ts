import { readdir, readFile } from 'node:fs/promises';
import path from 'node:path';
import type { InstanceKind } from '#libs/contracts';
import { runCommand } from '#libs/testing';

/**
 * What a host agent keeps on its machine, read as the README documents it, the way an operator
 * would look: each instance's folder `<AGENT_STORAGE_DIR>/instances/<id>/` (its `spec.json` and
 * `owner`, the host that holds it), and a host's own runtime files under `<AGENT_DATA_DIR>/run/`.
 */

/** The folder of every instance on the storage, which LXC takes as its path (`lxc-* -P`). */
export const instancesDir = (storageDir: string) => path.join(storageDir, 'instances');

/** The ids of the instances on the storage, whichever host holds them. */
export async function instanceIds(storageDir: string): Promise<string[]> {
  const entries = await readdir(instancesDir(storageDir), { withFileTypes: true }).catch(() => []);
  return entries.filter((entry) => entry.isDirectory()).map((entry) => entry.name);
}

/** The host its `owner` file names: the one that holds the instance now. */
export async function ownerOf(storageDir: string, instanceId: string): Promise<string | null> {
  return (await readFile(path.join(instancesDir(storageDir), instanceId, 'owner'), 'utf8').catch(() => '')).trim() || null;
}

/** The instances the host holds, with their kinds. */
export async function instancesHeldBy(storageDir: string, hostId: string): Promise<{ instanceId: string; kind: InstanceKind }[]> {
  const held = [];
  for (const instanceId of await instanceIds(storageDir)) {
    if ((await ownerOf(storageDir, instanceId)) !== hostId) continue;
    const spec = JSON.parse(await readFile(path.join(instancesDir(storageDir), instanceId, 'spec.json'), 'utf8')) as { kind: InstanceKind };
    held.push({ instanceId, kind: spec.kind });
  }
  return held;
}

/** The pid in a pidfile, or null where there is none. */
async function pidIn(file: string): Promise<number | null> {
  return Number((await readFile(file, 'utf8').catch(() => '')).trim()) || null;
}

/** The host's fence watchdog, which outlives its agent to stop the instances should the agent go silent. */
export const fenceWatchdogPid = (dataDir: string) => pidIn(path.join(dataDir, 'run', 'fence-watchdog.pid'));

/**
 * The QEMU of a VM this host runs: the pid in `<AGENT_DATA_DIR>/run/<id>/qemu.pid`, if that process's
 * command line names the pidfile (a stopped VM's pid may have been reused by another process).
 */
export async function qemuPid(dataDir: string, instanceId: string): Promise<number | null> {
  const pidFile = path.join(dataDir, 'run', instanceId, 'qemu.pid');
  const pid = await pidIn(pidFile);
  const cmdline = pid ? await readFile(`/proc/${pid}/cmdline`, 'utf8').catch(() => '') : '';
  return cmdline.split('\0').includes(pidFile) ? pid : null;
}

/** The socket of a VM's QEMU monitor (QMP) on the host that runs it. */
export const qmpSocket = (dataDir: string, instanceId: string) => path.join(dataDir, 'run', instanceId, 'qmp.sock');

/** The pid of a running container's init, as LXC reports it. */
export async function containerPid(storageDir: string, instanceId: string): Promise<number | null> {
  return Number((await runCommand('lxc-info', ['-P', instancesDir(storageDir), '-n', instanceId, '-p', '-H']).catch(() => '')).trim()) || null;
}

/** Gone, or a zombie waiting for a parent that may never reap it (a daemonized process's is init). */
export async function processGone(pid: number): Promise<boolean> {
  const stat = await readFile(`/proc/${pid}/stat`, 'utf8').catch(() => null);
  return stat === null || stat.slice(stat.lastIndexOf(')') + 2).startsWith('Z');
}
