import { randomUUID } from 'node:crypto';
import { existsSync } from 'node:fs';
import { mkdir, readdir, rename, rm } from 'node:fs/promises';
import path from 'node:path';
import { Logger } from '@nestjs/common';
import { AppError, type InstanceSpec } from '#libs/contracts';
import { runProgram } from '../host/program.js';
import type { InstanceDriver } from '../instances/instance-driver.js';
import type { InstanceFolders } from '../instances/instance-folder.js';
import { whileFrozen } from '../instances/lxc-freeze.js';
import type { SnapshotDriver } from './snapshot-driver.js';

/** A rootfs of many GB takes a while to copy. */
const COPY_TIMEOUT_MS = 3_600_000;

/** `cp -a`, sharing the data's blocks (a reflink) where the filesystem can, else copying them. */
const copyTree = (from: string, to: string) => runProgram('cp', ['-a', '--reflink=auto', '--', from, to], { timeoutMs: COPY_TIMEOUT_MS });

/**
 * Makes `target` (a container's rootfs) what `fill` writes beside it, then swaps the two: an agent
 * that dies on the way leaves either tree, and asked again it finishes the swap. Where `fill`
 * fails, `target` is left as it was. The tree it replaced is removed after it answers: that takes
 * as long as unpacking a backup did (bench/backups).
 */
export async function replaceTree(target: string, fill: (incoming: string) => Promise<void>): Promise<void> {
  const incoming = `${target}.restoring`;
  await rm(incoming, { recursive: true, force: true });
  try {
    await fill(incoming);
  } catch (error) {
    await rm(incoming, { recursive: true, force: true });
    throw error;
  }
  if (existsSync(target)) await rename(target, `${target}.replaced-${randomUUID()}`);
  await rename(incoming, target);
  // With it, any an agent stopped before removing.
  const folder = path.dirname(target);
  for (const entry of await readdir(folder)) {
    if (entry.startsWith(`${path.basename(target)}.replaced`)) removeInBackground(path.join(folder, entry));
  }
}

/** Trees being removed in the background, each once however often it is asked. */
const removals = new Set<string>();
const logger = new Logger('rootfs');

/** `rm -rf` on its own, not Node's rm: that would hold a thread of the pool the agent's file I/O shares for the whole removal. */
function removeInBackground(tree: string): void {
  if (removals.has(tree)) return;
  removals.add(tree);
  void runProgram('rm', ['-rf', '--', tree], { timeoutMs: COPY_TIMEOUT_MS })
    .catch((error: Error) => logger.warn(`${tree} not removed (the next restore of its instance tries again): ${error.message}`))
    .finally(() => removals.delete(tree));
}

/**
 * A container's snapshot is a copy of its rootfs in its folder, `snapshots/<snapshotId>/rootfs`,
 * so it goes wherever the folder goes. A running container is frozen (`lxc-freeze`) while it is
 * copied, and only then: its files do not change under the copy. A copy is made under a name of
 * its own and renamed once whole, so a snapshot that is there is complete.
 */
export class LxcSnapshots implements SnapshotDriver {
  constructor(private readonly folders: InstanceFolders) {}

  private rootfs(spec: InstanceSpec): string {
    return this.folders.file(spec.instanceId, 'rootfs');
  }

  private snapshot(spec: InstanceSpec, snapshotId: string): string {
    return path.join(this.folders.file(spec.instanceId, 'snapshots'), snapshotId);
  }

  async create(spec: InstanceSpec, driver: InstanceDriver, snapshotId: string): Promise<number> {
    const target = this.snapshot(spec, snapshotId);
    if (!existsSync(target)) {
      const partial = `${target}.partial`;
      await rm(partial, { recursive: true, force: true });
      await mkdir(partial, { recursive: true, mode: 0o700 });
      const running = (await driver.state(spec)) === 'RUNNING';
      await whileFrozen(this.folders.root, spec.instanceId, running, () => copyTree(this.rootfs(spec), path.join(partial, 'rootfs')));
      await rename(partial, target);
    }
    return Number((await runProgram('du', ['--summarize', '--bytes', '--', path.join(target, 'rootfs')])).split('\t')[0]);
  }

  /**
   * The copy is copied back beside the rootfs, then takes its place: an agent that dies on the
   * way leaves either rootfs, and asked again it finishes the swap.
   */
  async restore(spec: InstanceSpec, driver: InstanceDriver, snapshotId: string): Promise<void> {
    if ((await driver.state(spec)) === 'RUNNING') throw AppError.conflict(`instance ${spec.instanceId} runs: a snapshot is restored onto a stopped container`);
    const source = path.join(this.snapshot(spec, snapshotId), 'rootfs');
    if (!existsSync(source)) throw AppError.notFound(`snapshot ${snapshotId} of instance ${spec.instanceId}`);
    await replaceTree(this.rootfs(spec), async (incoming) => {
      await copyTree(source, incoming);
    });
  }

  async delete(spec: InstanceSpec, _driver: InstanceDriver, snapshotId: string): Promise<void> {
    const target = this.snapshot(spec, snapshotId);
    await rm(`${target}.partial`, { recursive: true, force: true });
    await rm(target, { recursive: true, force: true });
  }
}
