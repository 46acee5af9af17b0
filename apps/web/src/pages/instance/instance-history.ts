/** One event of an instance's history as the API gives it: its data is JSON text. */
export interface HistoryEvent {
  id: string;
  type: string;
  occurredAt: string;
  data: string;
}

/** An event in words, and who did it. */
export interface HistoryLine {
  id: string;
  occurredAt: string;
  text: string;
  by: string;
}

/**
 * Who: the API's events carry no actor, so it is what the event itself says: a request is the
 * account's (the customer's people and keys, or its provider's acting for it), a console opening
 * names the role that opened it, a scheduled backup is the schedule's, and what happened on the
 * host is Awan's.
 */
const ACCOUNT = 'your account';
const AWAN = 'Awan';

type Data = Record<string, unknown>;
const text = (value: unknown) => (typeof value === 'string' ? value : '');
const short = (id: unknown) => text(id).slice(0, 8);

/** Words for each type the instance's stream holds; a type not here reads as its name split into words. */
const WORDS: Record<string, (data: Data, snapshot: (id: unknown) => string) => [string, string]> = {
  InstanceRequested: (d) => [`Created: a ${d.kind === 'VM' ? 'virtual machine' : 'container'} on plan ${text(d.planId)} from image ${text(d.imageId)} in region ${text(d.regionId)}`, ACCOUNT],
  InstanceScheduled: () => ['A host was chosen for it', AWAN],
  InstanceAddressed: (d) => [`Addresses assigned: ${(Array.isArray(d.addresses) ? d.addresses : []).map((a: Data) => text(a.address)).join(', ') || 'none'}`, AWAN],
  InstanceStartRequested: () => ['Start asked for', ACCOUNT],
  InstanceStarted: () => ['Started: running', AWAN],
  InstanceStopRequested: (d) => [d.force ? 'Forced stop asked for' : 'Stop asked for', ACCOUNT],
  InstanceStopped: () => ['Stopped', AWAN],
  InstanceRebootRequested: () => ['Reboot asked for', ACCOUNT],
  InstanceResizeRequested: (d) => [`Resize from ${text(d.fromPlanId)} to ${text(d.toPlanId)} asked for`, ACCOUNT],
  InstanceResized: (d) => [`Resized from ${text(d.fromPlanId)} to ${text(d.toPlanId)}${d.restarted === false ? '' : ', restarted to take it'}`, AWAN],
  InstanceMigrationRequested: () => ['Moving to another host', AWAN],
  InstanceMigrated: () => ['Moved to another host', AWAN],
  InstanceMigrationAborted: () => ['The move to another host was called off; it stays where it was', AWAN],
  InstanceFailed: (d) => [`Failed: ${text(d.reason)}`, AWAN],
  InstanceDeletionRequested: () => ['Deletion asked for', ACCOUNT],
  InstanceDeleted: () => ['Deleted', AWAN],
  SnapshotRequested: (d) => [`Snapshot ${text(d.name)} asked for`, ACCOUNT],
  SnapshotCreated: (d, s) => [`Snapshot ${s(d.snapshotId)} taken (${Number(d.sizeMb)} MB)`, AWAN],
  SnapshotFailed: (d, s) => [`Snapshot ${s(d.snapshotId)} failed: ${text(d.reason)}`, AWAN],
  SnapshotDeletionRequested: (d, s) => [`Deletion of snapshot ${s(d.snapshotId)} asked for`, ACCOUNT],
  SnapshotDeleted: (d, s) => [`Snapshot ${s(d.snapshotId)} deleted`, AWAN],
  SnapshotRestoreRequested: (d, s) => [`Restore from snapshot ${s(d.snapshotId)} asked for`, ACCOUNT],
  SnapshotRestored: (d, s) => [`Restored from snapshot ${s(d.snapshotId)}: its disk is the snapshot's`, AWAN],
  InstanceBackupRequested: (d) => [`Backup ${short(d.backupId)} started`, d.scheduled ? 'the backup schedule' : ACCOUNT],
  InstanceBackedUp: (d) => [`Backup ${short(d.backupId)} taken (${Number(d.sizeMb)} MB)`, AWAN],
  InstanceBackupFailed: (d) => [`Backup ${short(d.backupId)} failed: ${text(d.reason)}`, AWAN],
  BackupRestoreRequested: (d) => [`Restore from backup ${short(d.backupId)} asked for`, ACCOUNT],
  BackupRestored: (d) => [`Restored from backup ${short(d.backupId)}: its disk is the backup's`, AWAN],
  BackupRestoreFailed: (d) => [`Restore from backup ${short(d.backupId)} failed, nothing changed: ${text(d.reason)}`, AWAN],
  InstanceSeededFromBackup: (d) => [`Made from backup ${short(d.backupId)}`, ACCOUNT],
  BackupScheduleSet: (d) => [`Daily backups at ${String(d.hourUtc).padStart(2, '0')}:00 UTC, keeping the newest ${Number(d.keep)}`, ACCOUNT],
  BackupScheduleCleared: () => ['Scheduled backups stopped', ACCOUNT],
  InstanceFirewallAttached: (d) => [`Firewall ${text(d.name)} attached`, ACCOUNT],
  InstanceFirewallDetached: (d) => [`Firewall ${text(d.name)} detached`, d.reason === 'instance deleted' ? AWAN : ACCOUNT],
  ConsoleOpened: (d) => [`${d.kind === 'VNC' ? 'VNC' : 'Serial'} console opened`, `a person or key with the ${text(d.role)} role`],
  ConsoleClosed: (d) => [`${d.kind === 'VNC' ? 'VNC' : 'Serial'} console closed after ${duration(Number(d.durationMs))}${d.reason ? `: ${text(d.reason)}` : ''}`, AWAN],
};

function duration(ms: number): string {
  const seconds = Math.round(ms / 1000);
  return seconds < 60 ? `${seconds} s` : `${Math.floor(seconds / 60)} min ${seconds % 60} s`;
}

/** `InstanceFooBar` → `Instance foo bar`: a type this console does not know yet still reads as words. */
const typeInWords = (type: string) => type.replace(/(?<=[a-z])(?=[A-Z])/g, ' ').replace(/ [A-Z]/g, (s) => s.toLowerCase());

/**
 * The events in words, in the order given. A snapshot is named by its name where the history
 * holds the request that named it (its later events carry only its id).
 */
export function describeHistory(events: readonly HistoryEvent[]): HistoryLine[] {
  const names = new Map<string, string>();
  return events.map((event) => {
    let data: Data = {};
    try {
      data = (JSON.parse(event.data) ?? {}) as Data;
    } catch {
      // Words from the type alone.
    }
    if (event.type === 'SnapshotRequested') names.set(text(data.snapshotId), text(data.name));
    const snapshot = (id: unknown) => names.get(text(id)) ?? short(id);
    const words = WORDS[event.type];
    const [line, by] = words ? words(data, snapshot) : [typeInWords(event.type), AWAN];
    return { id: event.id, occurredAt: event.occurredAt, text: line, by };
  });
}
