import { spawnSync } from 'node:child_process';
import { readFileSync } from 'node:fs';

/** A clock tick in ms: /proc counts CPU time in ticks (CLK_TCK a second, 100 on most Linux machines, not all). */
let tickMs: number | undefined;

/** The CPU time (user + system, ms) a process has used so far, from /proc/<pid>/stat, or undefined once it is gone. */
export function cpuMsOf(pid: number): number | undefined {
  tickMs ??= 1000 / Number(spawnSync('getconf', ['CLK_TCK']).stdout.toString());
  try {
    const fields = readFileSync(`/proc/${pid}/stat`, 'utf8').split(') ')[1].split(' ');
    return (Number(fields[11]) + Number(fields[12])) * tickMs;
  } catch {
    return undefined;
  }
}
