import { type AgentInstanceStatus, type AgentSnapshot, AppError, isUuid, type SnapshotRequest } from '#libs/contracts';
import type { InstanceManager } from '../instances/instance-manager.js';
import { LxcSnapshots } from './lxc-snapshots.js';
import { QemuSnapshots } from './qemu-snapshots.js';
import type { SnapshotDriver } from './snapshot-driver.js';

const MiB = 1024 ** 2;

/** The snapshot id names a qcow2 snapshot's tag and a folder: only a UUID may. */
function assertSnapshotId(value: unknown): string {
  if (!isUuid(value)) throw AppError.badInput('snapshotId', 'must be a lower-case UUID');
  return value;
}

/**
 * The agent's snapshot commands, on the instances this host holds. Each runs in the instance's
 * turn with its other commands (a snapshot never races a stop or a migration), and is idempotent.
 */
export class Snapshots {
  constructor(
    private readonly instances: InstanceManager,
    private readonly drivers: { VM: SnapshotDriver; CONTAINER: SnapshotDriver },
  ) {}

  async create(request: SnapshotRequest): Promise<AgentSnapshot> {
    const snapshotId = assertSnapshotId(request?.snapshotId);
    return this.instances.withInstance(request.instanceId, async (spec, driver) => ({
      snapshotId,
      sizeMb: Math.ceil((await this.drivers[spec.kind].create(spec, driver, snapshotId)) / MiB),
    }));
  }

  async restore(request: SnapshotRequest): Promise<AgentInstanceStatus> {
    const snapshotId = assertSnapshotId(request?.snapshotId);
    await this.instances.withInstance(request.instanceId, (spec, driver) => this.drivers[spec.kind].restore(spec, driver, snapshotId));
    return this.instances.status(request.instanceId);
  }

  async delete(request: SnapshotRequest): Promise<{ snapshotId: string }> {
    const snapshotId = assertSnapshotId(request?.snapshotId);
    await this.instances.withInstance(request.instanceId, (spec, driver) => this.drivers[spec.kind].delete(spec, driver, snapshotId));
    return { snapshotId };
  }
}

/** The snapshots of the instances `instances` runs, in their folders. */
export const snapshotsFor = (instances: InstanceManager) =>
  new Snapshots(instances, { VM: new QemuSnapshots(instances.folders), CONTAINER: new LxcSnapshots(instances.folders) });
