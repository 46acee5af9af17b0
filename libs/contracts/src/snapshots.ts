/**
 * Snapshots of an instance's disk, on the instance's own storage. Their events are on the
 * instance's stream (`instance-<id>`, subjects `events.compute.instance.<EventType>`): billing
 * meters a snapshot's storage from SnapshotCreated to SnapshotDeleted.
 */

export type SnapshotStatus = 'CREATING' | 'AVAILABLE' | 'DELETING' | 'DELETED' | 'ERROR';

/** A snapshot as compute answers with it. */
export interface SnapshotView {
  id: string;
  instanceId: string;
  accountId: string;
  /** An RFC 1123 label, one per live snapshot of the instance. */
  name: string;
  status: SnapshotStatus;
  /** The data it holds, once AVAILABLE: the disk's data when it was taken. */
  sizeMb: number | null;
  /** Why an ERROR snapshot failed. */
  failureReason: string | null;
  createdAt: string;
}

export interface SnapshotEvents {
  SnapshotRequested: { snapshotId: string; name: string };
  /** Its host took it: from now on it holds `sizeMb` of the host's storage. */
  SnapshotCreated: { snapshotId: string; sizeMb: number };
  /** Taking or deleting it failed (or timed out). */
  SnapshotFailed: { snapshotId: string; reason: string };
  SnapshotDeletionRequested: { snapshotId: string };
  /** Its space is free: deleted on request, or with its instance. */
  SnapshotDeleted: { snapshotId: string };
  /** The instance (STOPPED) is RESTORING from it. */
  SnapshotRestoreRequested: { snapshotId: string };
  /** The instance's disk is the snapshot's; it is STOPPED again. */
  SnapshotRestored: { snapshotId: string };
}
