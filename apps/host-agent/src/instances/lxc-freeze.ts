import { setTimeout as sleep } from 'node:timers/promises';
import { isUuid } from '#libs/contracts';
import { runProgram } from '../host/program.js';

/** Tries at releasing, a second apart, before the failure is reported. */
const RELEASE_TRIES = 3;

/**
 * Runs `work` between `hold` and `release`, releasing whatever `work` did; a release that fails is
 * tried again, a second apart, and the last failure thrown.
 */
export async function held<T>(hold: () => Promise<unknown>, release: () => Promise<unknown>, work: () => Promise<T>): Promise<T> {
  await hold();
  try {
    return await work();
  } finally {
    for (let attempt = 1; ; attempt++) {
      const failure = await release().then(() => null, (error: Error) => error);
      if (!failure) break;
      if (attempt === RELEASE_TRIES) throw failure;
      await sleep(1000);
    }
  }
}

/** The arguments naming a container to LXC's tools: its LXC path (the instances' folder) and name (its instance's id). */
export const lxcArgs = (lxcPath: string, instanceId: string): string[] => ['-P', lxcPath, '-n', instanceId];

/** The containers this process holds frozen for a copy under way (their LXC arguments): never thawed as left over. */
const copying = new Set<string>();

/**
 * Runs `work` with the container frozen (`lxc-freeze`) where `running`, so its files hold still while
 * they are copied, and thaws it whatever `work` did. A thaw that fails is tried again: a container left
 * frozen serves no one, and only thawLeftFrozen thaws it after.
 */
export async function whileFrozen<T>(lxcPath: string, instanceId: string, running: boolean, work: () => Promise<T>): Promise<T> {
  if (!running) return work();
  const lxc = lxcArgs(lxcPath, instanceId);
  const container = lxc.join(' ');
  copying.add(container);
  try {
    return await held(() => runProgram('lxc-freeze', lxc), () => runProgram('lxc-unfreeze', lxc), work);
  } finally {
    copying.delete(container);
  }
}

/**
 * Thaws every container of `lxcPath` that is frozen, but those a copy of this process holds frozen,
 * answering which: only a copy freezes one, so any other was frozen by an agent stopped mid-copy. A
 * host without LXC has none.
 */
export async function thawLeftFrozen(lxcPath: string): Promise<string[]> {
  const frozen = (await runProgram('lxc-ls', ['-P', lxcPath, '--frozen', '-1']).catch(() => '')).split('\n').filter(isUuid);
  const thawed: string[] = [];
  for (const instanceId of frozen) {
    const lxc = lxcArgs(lxcPath, instanceId);
    if (copying.has(lxc.join(' '))) continue;
    await runProgram('lxc-unfreeze', lxc);
    thawed.push(instanceId);
  }
  return thawed;
}
