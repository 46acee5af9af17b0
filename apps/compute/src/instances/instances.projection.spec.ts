import type { InstanceEvent } from './instance.decider.js';
import { INSTANCE_EVENT_TYPES } from './instances.projection.js';

/** Every event type of an instance's stream: the compiler names one the union has and this lacks. */
const EVERY_TYPE: Record<InstanceEvent['type'], true> = {
  InstanceRequested: true, InstanceScheduled: true, InstanceAddressed: true, InstanceStarted: true, InstanceStopped: true, InstanceResized: true,
  InstanceMigrated: true, InstanceFailed: true, InstanceDeleted: true, InstanceStartRequested: true, InstanceStopRequested: true,
  InstanceRebootRequested: true, InstanceResizeRequested: true, InstanceDeletionRequested: true, InstanceMigrationRequested: true,
  InstanceMigrationAborted: true, SnapshotRequested: true, SnapshotCreated: true, SnapshotFailed: true, SnapshotDeletionRequested: true,
  SnapshotDeleted: true, SnapshotRestoreRequested: true, SnapshotRestored: true, ConsoleOpened: true, ConsoleClosed: true,
  InstanceFirewallAttached: true, InstanceFirewallDetached: true, InstanceBackupRequested: true, InstanceBackedUp: true,
  InstanceBackupFailed: true, BackupRestoreRequested: true, BackupRestored: true, BackupRestoreFailed: true, InstanceSeededFromBackup: true,
  BackupScheduleSet: true, BackupScheduleCleared: true,
};

describe('the instances projection', () => {
  it("folds every event of the instance's stream, history-only ones too, so the state it keeps has the stream's versions", () => {
    // The watcher's timeouts and observed stops name the statusVersion it reads from there.
    expect([...INSTANCE_EVENT_TYPES].sort()).toEqual(Object.keys(EVERY_TYPE).sort());
  });
});
