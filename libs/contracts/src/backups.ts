import type { BillingCycle, InstanceKind } from './events.js';

/**
 * Backups: compressed, checksummed copies of an instance's disk (a container's rootfs) and spec in
 * its region's backup store, off the hosts' instance storage. A backup is an aggregate of its own
 * (stream `backup-<id>`, subjects `events.compute.backup.<EventType>`), as it outlives its instance;
 * taking one is an operation of its instance, recorded on the instance's stream too.
 */

export type BackupStatus = 'CREATING' | 'AVAILABLE' | 'DELETING' | 'DELETED' | 'ERROR';

/** A backup as compute answers with it. */
export interface BackupView {
  id: string;
  instanceId: string;
  accountId: string;
  regionId: string;
  kind: InstanceKind;
  /** The instance's plan when it was taken: a restore as a new instance takes it, or a larger one. */
  planId: string;
  imageId: string;
  billingCycle: BillingCycle;
  status: BackupStatus;
  /** What it holds in the store once AVAILABLE (compressed), in MB. */
  sizeMb: number | null;
  /** Taken by the instance's schedule (kept while among its newest `keep`), not by hand. */
  scheduled: boolean;
  /** Why an ERROR backup failed, or why it may not be restored (its checksum failed). */
  failureReason: string | null;
  createdAt: string;
}

/** Daily at `hourUtc`, keeping the newest `keep` scheduled backups. */
export interface BackupSchedule {
  hourUtc: number;
  keep: number;
}

export interface BackupScheduleView extends BackupSchedule {
  instanceId: string;
}

/** Without name: the backup's own instance in place. With name: a new instance of the caller's account. */
export interface RestoreBackupInput {
  name?: string | null;
  planId?: string | null;
  regionId?: string | null;
}

/** The events of a backup's own stream, `backup-<id>`: billing meters its storage from BackupCreated to BackupDeleted. */
export interface BackupEvents {
  BackupRequested: {
    backupId: string;
    instanceId: string;
    accountId: string;
    regionId: string;
    kind: InstanceKind;
    planId: string;
    imageId: string;
    billingCycle: BillingCycle;
    /** The instance's name then, for invoices and lists after it is gone. */
    instanceName: string;
    scheduled: boolean;
  };
  /** Written whole to the store: it holds `sizeMb` there from now on. */
  BackupCreated: { backupId: string; sizeMb: number };
  /** Taking it failed, or (once AVAILABLE) its checksum did: it is never restored. */
  BackupFailed: { backupId: string; reason: string };
  BackupDeletionRequested: { backupId: string };
  /** Its files are gone from the store. */
  BackupDeleted: { backupId: string };
}

/** The backup events of an instance's stream (`instance-<id>`): what the instance went through. */
export interface InstanceBackupEvents {
  /** A backup of the instance is being taken: the instance's operation until it ends. */
  InstanceBackupRequested: { backupId: string; scheduled: boolean };
  InstanceBackedUp: { backupId: string; sizeMb: number };
  InstanceBackupFailed: { backupId: string; reason: string };
  /** The STOPPED instance is RESTORING from the backup. */
  BackupRestoreRequested: { backupId: string };
  /** Its disk (rootfs) is the backup's; STOPPED again. */
  BackupRestored: { backupId: string };
  /** Nothing of the instance changed (the backup's checksum failed, or the host refused); STOPPED again. */
  BackupRestoreFailed: { backupId: string; reason: string };
  /** A new instance made from a backup: its host writes the backup's disk before its first start. */
  InstanceSeededFromBackup: { backupId: string };
  BackupScheduleSet: BackupSchedule;
  BackupScheduleCleared: Record<string, never>;
}

/** The agent's request about a backup in the region's store. */
export interface BackupRequest {
  backupId: string;
  instanceId: string;
}

/** A backup in the store: its compressed size in MB (ceiled) and its file's sha256. */
export interface AgentBackup {
  backupId: string;
  sizeMb: number;
  sha256: string;
}

/**
 * A restore onto `instanceId` (a stopped instance this host holds). `restoreKey` names this restore:
 * asked again with it, the host answers what it did without writing again (the instance may have
 * started since).
 */
export interface BackupRestoreRequest extends BackupRequest {
  restoreKey: string;
}

/** Restored, or refused because the stored file is not what was written (nothing of the instance changed). */
export type AgentBackupRestore = { backupId: string; restored: true } | { backupId: string; restored: false; corrupt: string };
