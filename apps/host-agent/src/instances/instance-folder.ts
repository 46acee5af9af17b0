import { randomUUID } from 'node:crypto';
import { mkdir, readdir, readFile, rename, rm, stat, writeFile } from 'node:fs/promises';
import path from 'node:path';
import { isUuid, type InstanceSpec } from '#libs/contracts';
import { assertInstanceId } from './instance-spec.js';

/** How long a host remembers an instance it deleted, to refuse a create of it that comes late. */
const DELETIONS_KEPT_MS = 7 * 24 * 3_600_000;

/**
 * Where an instance lives on a host. Its folder, `<storageDir>/instances/<instanceId>/`, holds
 * what any host may need to run it: its spec, a VM's disk, seed and console log, a container's
 * LXC config and rootfs (the folder is the LXC path's container folder), and `owner`, the host
 * that holds it now. The storage may be shared by the region's hosts; each host lists only the
 * folders it owns. What belongs to one host's run of it (pidfile, QMP socket, fencing mark)
 * lives in `<dataDir>/run/<instanceId>/`, never shared.
 */
export class InstanceFolders {
  readonly root: string;
  /** Images the agent builds itself (dev:<name>), on the storage: a disk's backing file must be where every host looks. */
  readonly images: string;
  private readonly runtimeRoot: string;
  /** This host's record of the instances it was asked to delete, one empty file each. */
  private readonly deletedRoot: string;
  private prunedAt = 0;
  /** Whether the storage is apart from this host's own data folder, so other hosts may use it too. */
  private readonly shared: boolean;
  /** This host's own data folder: never shared. */
  readonly dataDir: string;

  constructor(
    readonly hostId: string,
    storageDir: string,
    dataDir: string = storageDir,
  ) {
    this.dataDir = path.resolve(dataDir);
    this.root = path.join(path.resolve(storageDir), 'instances');
    this.images = path.join(path.resolve(storageDir), 'images');
    this.runtimeRoot = path.join(path.resolve(dataDir), 'run');
    this.deletedRoot = path.join(path.resolve(dataDir), 'deleted');
    this.shared = path.resolve(storageDir) !== path.resolve(dataDir);
  }

  dir(instanceId: string): string {
    return path.join(this.root, assertInstanceId(instanceId));
  }

  file(instanceId: string, name: string): string {
    return path.join(this.dir(instanceId), name);
  }

  /** This host's file for its run of the instance (the folder is made on first use). */
  async runtimeFile(instanceId: string, name: string): Promise<string> {
    const dir = path.join(this.runtimeRoot, assertInstanceId(instanceId));
    await mkdir(dir, { recursive: true, mode: 0o700 });
    return path.join(dir, name);
  }

  async readSpec(instanceId: string): Promise<InstanceSpec | null> {
    return JSON.parse((await readIfThere(this.file(instanceId, 'spec.json'))) ?? 'null') as InstanceSpec | null;
  }

  /** Writes the spec of an instance this host holds. */
  async writeSpec(spec: InstanceSpec): Promise<void> {
    await mkdir(this.dir(spec.instanceId), { recursive: true, mode: 0o700 });
    await Promise.all([writeAtomically(this.file(spec.instanceId, 'spec.json'), JSON.stringify(spec, null, 2)), this.claim(spec.instanceId)]);
  }

  /** The host that holds the instance, or null where its folder has no owner. */
  async owner(instanceId: string): Promise<string | null> {
    return (await readIfThere(this.file(instanceId, 'owner')))?.trim() || null;
  }

  /** Makes this host (or `owner`, given back an instance) the instance's holder: from now on no other host lists it as its own. */
  async claim(instanceId: string, owner = this.hostId): Promise<void> {
    await writeAtomically(this.file(instanceId, 'owner'), `${owner}\n`);
  }

  /** The spec of an instance this host holds; null for one it does not (absent, or another host's). */
  async readOwnSpec(instanceId: string): Promise<InstanceSpec | null> {
    const owner = await this.owner(instanceId);
    // A folder from before owners were recorded, on storage no other host shares, is this host's.
    if (owner === null && !this.shared && (await this.readSpec(instanceId))) await this.claim(instanceId);
    else if (owner !== this.hostId) return null;
    return this.readSpec(instanceId);
  }

  /** Every instance this host holds, as its folders say. */
  async list(): Promise<InstanceSpec[]> {
    const entries = await readdir(this.root).catch(() => [] as string[]);
    const specs = await Promise.all(entries.map((id) => this.readOwnSpec(id).catch(() => null)));
    return specs.filter((s): s is InstanceSpec => s !== null);
  }

  async remove(instanceId: string): Promise<void> {
    await rm(this.dir(instanceId), { recursive: true, force: true });
    await this.forget(instanceId);
  }

  /** The instances this host has runtime files of: those it runs or ran (the folder holds the fence watchdog's pidfile too). */
  async runtimeIds(): Promise<string[]> {
    return (await readdir(this.runtimeRoot).catch(() => [] as string[])).filter((entry) => isUuid(entry));
  }

  /**
   * Records that this host was asked to delete the instance. A create compute sent before the
   * delete (another replica's, still on its way) must not make it again: it would run with no
   * instance behind it, its addresses given to another. Records older than DELETIONS_KEPT_MS go,
   * looked for at most once an hour: compute gives up a create's retries long before.
   */
  async markDeleted(instanceId: string): Promise<void> {
    await mkdir(this.deletedRoot, { recursive: true, mode: 0o700 });
    await writeFile(path.join(this.deletedRoot, assertInstanceId(instanceId)), '');
    if (Date.now() - this.prunedAt < 3_600_000) return;
    this.prunedAt = Date.now();
    for (const entry of await readdir(this.deletedRoot)) {
      const file = path.join(this.deletedRoot, entry);
      const { mtimeMs } = await stat(file).catch(() => ({ mtimeMs: Date.now() }));
      if (Date.now() - mtimeMs > DELETIONS_KEPT_MS) await rm(file, { force: true });
    }
  }

  async wasDeleted(instanceId: string): Promise<boolean> {
    return (await stat(path.join(this.deletedRoot, assertInstanceId(instanceId))).catch(() => null)) !== null;
  }

  /** Drops this host's runtime files of an instance it no longer runs. */
  async forget(instanceId: string): Promise<void> {
    await rm(path.join(this.runtimeRoot, assertInstanceId(instanceId)), { recursive: true, force: true });
  }
}

async function readIfThere(file: string): Promise<string | null> {
  try {
    return await readFile(file, 'utf8');
  } catch (error) {
    if ((error as NodeJS.ErrnoException).code === 'ENOENT') return null;
    throw error;
  }
}

/** A crash never leaves half a file; the temporary name is unique, as two hosts may write at once. */
export async function writeAtomically(target: string, text: string): Promise<void> {
  const partial = `${target}.new-${randomUUID()}`;
  await writeFile(partial, text, { mode: 0o600 });
  await rename(partial, target);
}
