import { AppError, type InstanceSpec } from '#libs/contracts';
import { qmp } from '#libs/qmp';
import { runProgram } from '../host/program.js';
import type { InstanceDriver } from '../instances/instance-driver.js';
import type { InstanceFolders } from '../instances/instance-folder.js';
import type { SnapshotDriver } from './snapshot-driver.js';

/** The VM's disk as QEMU's -drive names it (qemu.driver.ts). */
const DISK_DEVICE = 'disk0';
/** QEMU drains the disk's I/O for an internal snapshot; a large disk's metadata takes a while to write. */
const QMP_SNAPSHOT_TIMEOUT_MS = 120_000;

interface BlockDevice {
  device: string;
  inserted?: { 'node-name': string; image: { snapshots?: { name: string }[] } };
}

/**
 * A VM's snapshots are internal snapshots of its qcow2 disk, tagged with the snapshot's id: they
 * live in the disk file itself, so they go wherever the VM's folder goes. A running VM's is taken
 * by its QEMU (QMP `blockdev-snapshot-internal-sync` on the disk's node: QEMU drains the disk's I/O
 * for the moment it writes the snapshot's tables, and the guest runs on); a stopped VM's by
 * `qemu-img snapshot`. QEMU's lock on the disk keeps qemu-img off a disk a QEMU has open.
 */
export class QemuSnapshots implements SnapshotDriver {
  constructor(private readonly folders: InstanceFolders) {}

  private disk(spec: InstanceSpec): string {
    return this.folders.file(spec.instanceId, 'disk.qcow2');
  }

  /** The running QEMU's QMP socket, or null where the VM is stopped. */
  private async running(spec: InstanceSpec, driver: InstanceDriver): Promise<string | null> {
    return (await driver.state(spec)) === 'RUNNING' ? this.folders.runtimeFile(spec.instanceId, 'qmp.sock') : null;
  }

  /** The disk's node in the running QEMU and the tags of its snapshots there. */
  private async node(socket: string): Promise<{ name: string; tags: string[] }> {
    const devices = await qmp<BlockDevice[]>(socket, 'query-block');
    const disk = devices.find((d) => d.device === DISK_DEVICE)?.inserted;
    if (!disk) throw new AppError('INTERNAL', `the VM's QEMU has no ${DISK_DEVICE}`);
    return { name: disk['node-name'], tags: (disk.image.snapshots ?? []).map((s) => s.name) };
  }

  /** The tags of the stopped VM's disk's snapshots; a tag may be there twice (qemu-img allows it), and each is removed. */
  private async tags(spec: InstanceSpec): Promise<string[]> {
    const info = JSON.parse(await runProgram('qemu-img', ['info', '--output=json', '-U', this.disk(spec)])) as { snapshots?: { name: string }[] };
    return (info.snapshots ?? []).map((s) => s.name);
  }

  async create(spec: InstanceSpec, driver: InstanceDriver, snapshotId: string): Promise<number> {
    const socket = await this.running(spec, driver);
    if (socket) {
      const node = await this.node(socket);
      if (!node.tags.includes(snapshotId)) await qmp(socket, 'blockdev-snapshot-internal-sync', { device: node.name, name: snapshotId }, QMP_SNAPSHOT_TIMEOUT_MS);
    } else if (!(await this.tags(spec)).includes(snapshotId)) {
      await runProgram('qemu-img', ['snapshot', '-c', snapshotId, this.disk(spec)], { timeoutMs: 600_000 });
    }
    return this.size(spec, snapshotId);
  }

  /**
   * What the snapshot holds: the disk's data at that moment, as a qcow2 of it alone would need
   * (`qemu-img measure` of the snapshot, its image's data included). A snapshot never changes, so neither does this.
   */
  private async size(spec: InstanceSpec, snapshotId: string): Promise<number> {
    const args = ['measure', '--output=json', '-U', '-O', 'qcow2', '-l', `snapshot.name=${snapshotId}`, this.disk(spec)];
    return (JSON.parse(await runProgram('qemu-img', args, { timeoutMs: 600_000 })) as { required: number }).required;
  }

  async restore(spec: InstanceSpec, driver: InstanceDriver, snapshotId: string): Promise<void> {
    if (await this.running(spec, driver)) throw AppError.conflict(`instance ${spec.instanceId} runs: a snapshot is restored onto a stopped VM`);
    if (!(await this.tags(spec)).includes(snapshotId)) throw AppError.notFound(`snapshot ${snapshotId} of instance ${spec.instanceId}`);
    await runProgram('qemu-img', ['snapshot', '-a', snapshotId, this.disk(spec)], { timeoutMs: 600_000 });
  }

  async delete(spec: InstanceSpec, driver: InstanceDriver, snapshotId: string): Promise<void> {
    const socket = await this.running(spec, driver);
    if (socket) {
      for (let node = await this.node(socket); node.tags.includes(snapshotId); node = await this.node(socket)) {
        await qmp(socket, 'blockdev-snapshot-delete-internal-sync', { device: node.name, name: snapshotId }, QMP_SNAPSHOT_TIMEOUT_MS);
      }
      return;
    }
    for (const tag of await this.tags(spec)) {
      if (tag === snapshotId) await runProgram('qemu-img', ['snapshot', '-d', snapshotId, this.disk(spec)], { timeoutMs: 600_000 });
    }
  }
}
