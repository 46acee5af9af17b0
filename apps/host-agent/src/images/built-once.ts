import { existsSync } from 'node:fs';
import { mkdir, rename, rm } from 'node:fs/promises';
import path from 'node:path';

const building = new Map<string, Promise<string>>();

/**
 * Writes `target` (a file or a folder) atomically: a half-built one is never mistaken for
 * a finished one. Callers that want the same target at once share one build.
 */
export function buildOnce(target: string, build: (partial: string) => Promise<void>): Promise<string> {
  if (existsSync(target)) return Promise.resolve(target);
  let pending = building.get(target);
  if (!pending) {
    pending = buildAtomically(target, build).finally(() => building.delete(target));
    building.set(target, pending);
  }
  return pending;
}

async function buildAtomically(target: string, build: (partial: string) => Promise<void>): Promise<string> {
  await mkdir(path.dirname(target), { recursive: true });
  const partial = `${target}.partial-${process.pid}`;
  try {
    await build(partial);
    // Another host on the same storage may have finished the same one first: theirs counts.
    await rename(partial, target).catch((error: Error) => {
      if (!existsSync(target)) throw error;
    });
    return target;
  } finally {
    await rm(partial, { recursive: true, force: true });
  }
}
