import { spawnSync } from 'node:child_process';
import { readFileSync } from 'node:fs';
import type pg from 'pg';

/** A clock tick in ms: /proc counts CPU time in ticks (CLK_TCK a second, 100 on most Linux machines, not all). */
let tick: number | undefined;
const tickMs = () => (tick ??= 1000 / Number(spawnSync('getconf', ['CLK_TCK']).stdout.toString()));

/** The CPU time (user + system, ms) a process has used so far, from /proc/<pid>/stat, or undefined once it is gone. */
export function cpuMsOf(pid: number): number | undefined {
  try {
    const fields = readFileSync(`/proc/${pid}/stat`, 'utf8').split(') ')[1].split(' ');
    return (Number(fields[11]) + Number(fields[12])) * tickMs();
  } catch {
    return undefined;
  }
}

/** The CPU time (ms) the whole machine has spent busy so far, on all its cores together (/proc/stat: user to steal, but idle and iowait). */
export function machineBusyMs(): number {
  const [user, nice, system, , , irq, softirq, steal] = readFileSync('/proc/stat', 'utf8').split('\n')[0].trim().split(/\s+/).slice(1).map(Number);
  return (user + nice + system + irq + softirq + steal) * tickMs();
}

/**
 * A counter of the CPU time (ms) PostgreSQL's sessions on `db`'s database (but the one asking) have
 * used since this call: those open now and those opened since, each process's own.
 */
export async function databaseSessionsCpu(db: pg.ClientBase | pg.Pool): Promise<() => Promise<number>> {
  const sessions = async () => (await db.query<{ pid: number }>('SELECT pid FROM pg_stat_activity WHERE datname = current_database() AND pid <> pg_backend_pid()')).rows.map((r) => r.pid);
  const before = new Map((await sessions()).map((pid) => [pid, cpuMsOf(pid) ?? 0]));
  return async () => [...new Set([...before.keys(), ...(await sessions())])]
    .reduce((sum, pid) => sum + Math.max(0, (cpuMsOf(pid) ?? before.get(pid) ?? 0) - (before.get(pid) ?? 0)), 0);
}
