import { mkdir, readdir, readFile, rename, rm, writeFile } from 'node:fs/promises';
import path from 'node:path';
import type { InstanceSpec } from '#libs/contracts';
import { assertInstanceId } from './instance-spec.js';

/**
 * Each instance lives in `<dataDir>/instances/<instanceId>/`: its spec, and for a VM its disk,
 * seed, QMP socket, pidfile and console log; for a container LXC's config and rootfs
 * (the folder is the LXC path's container folder). The folder is the agent's only state.
 */
export class InstanceFolders {
  readonly root: string;
  /** Images the agent builds itself (dev:<name>). */
  readonly images: string;

  constructor(dataDir: string) {
    this.root = path.join(path.resolve(dataDir), 'instances');
    this.images = path.join(path.resolve(dataDir), 'images');
  }

  dir(instanceId: string): string {
    return path.join(this.root, assertInstanceId(instanceId));
  }

  file(instanceId: string, name: string): string {
    return path.join(this.dir(instanceId), name);
  }

  async readSpec(instanceId: string): Promise<InstanceSpec | null> {
    try {
      return JSON.parse(await readFile(this.file(instanceId, 'spec.json'), 'utf8')) as InstanceSpec;
    } catch (error) {
      if ((error as NodeJS.ErrnoException).code === 'ENOENT') return null;
      throw error;
    }
  }

  async writeSpec(spec: InstanceSpec): Promise<void> {
    await mkdir(this.dir(spec.instanceId), { recursive: true, mode: 0o700 });
    const target = this.file(spec.instanceId, 'spec.json');
    await writeFile(`${target}.new`, JSON.stringify(spec, null, 2), { mode: 0o600 });
    await rename(`${target}.new`, target); // a crash never leaves half a spec
  }

  /** Every instance this host holds, as its folders say. */
  async list(): Promise<InstanceSpec[]> {
    const entries = await readdir(this.root).catch(() => [] as string[]);
    const specs = await Promise.all(entries.map((id) => this.readSpec(id).catch(() => null)));
    return specs.filter((s): s is InstanceSpec => s !== null);
  }

  async remove(instanceId: string): Promise<void> {
    await rm(this.dir(instanceId), { recursive: true, force: true });
  }
}
