import { existsSync } from 'node:fs';
import { mkdir, readdir, rename, rm } from 'node:fs/promises';
import os from 'node:os';
import path from 'node:path';
import { processGone } from '../host/program.js';

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
  const partial = workInProgress(target);
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

const IN_PROGRESS = `.partial-${os.hostname()}-`;

/**
 * Where this process writes `target` before it is whole: beside it on the storage the region's hosts
 * share, named for this machine and process. Identical hosts may well give their agents the same pid,
 * and two hosts must never write into one folder; the name also tells this machine's next agent whose
 * work a crash left (sweepLeftovers). What the work makes beside it starts with the same name.
 */
export function workInProgress(target: string): string {
  return `${target}${IN_PROGRESS}${process.pid}`;
}

/**
 * Removes what processes of this machine that are gone left in progress in `folder` and the folders
 * in it (not deeper: a finished image may be a whole tree): their work never ends, and no other
 * host's is touched. Answers what it removed.
 */
export async function sweepLeftovers(folder: string, depth = 1): Promise<string[]> {
  const removed: string[] = [];
  const entries = await readdir(folder, { withFileTypes: true }).catch(() => []);
  for (const entry of entries) {
    const at = entry.name.indexOf(IN_PROGRESS);
    const file = path.join(folder, entry.name);
    if (at >= 0) {
      const pid = Number.parseInt(entry.name.slice(at + IN_PROGRESS.length), 10);
      if (pid !== process.pid && (await processGone(pid))) {
        await rm(file, { recursive: true, force: true });
        removed.push(file);
      }
    } else if (depth > 0 && entry.isDirectory()) {
      removed.push(...(await sweepLeftovers(file, depth - 1)));
    }
  }
  return removed;
}
