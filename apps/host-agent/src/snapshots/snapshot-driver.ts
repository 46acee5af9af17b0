import type { InstanceSpec } from '#libs/contracts';
import type { InstanceDriver } from '../instances/instance-driver.js';

/**
 * What one kind of instance does with its snapshots, each named by a validated snapshot id. Every
 * method is idempotent: a snapshot taken is answered again, one deleted is gone. `driver` is the
 * instance's own driver, which says whether it runs.
 */
export interface SnapshotDriver {
  /** Takes the snapshot, running or stopped; answers the bytes it holds (the same each time it is asked). */
  create(spec: InstanceSpec, driver: InstanceDriver, snapshotId: string): Promise<number>;
  /** The stopped instance's disk becomes the snapshot's; its snapshots all stay. */
  restore(spec: InstanceSpec, driver: InstanceDriver, snapshotId: string): Promise<void>;
  delete(spec: InstanceSpec, driver: InstanceDriver, snapshotId: string): Promise<void>;
}
