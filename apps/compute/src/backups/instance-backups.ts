import { AppError, type BackupSchedule, type InstanceBackupEvents, type InstanceKind } from '#libs/contracts';
import type { DomainEvent } from '#libs/event-store';
import type { InstanceOperation, InstanceState } from '../instances/instance.decider.js';

/**
 * The backup part of an instance's decider. A backup is an aggregate of its own (backup.decider.ts),
 * as it outlives the instance; but taking one, and restoring one in place, are operations of the
 * instance: one at a time with its others, so they are decided on its stream too, and its history
 * tells them. Its schedule is the instance's as well: it ends with the instance.
 */
export type InstanceBackupEvent = { [T in keyof InstanceBackupEvents]: DomainEvent<T, InstanceBackupEvents[T]> }[keyof InstanceBackupEvents];

export const INSTANCE_BACKUP_EVENT_TYPES = [
  'InstanceBackupRequested', 'InstanceBackedUp', 'InstanceBackupFailed', 'BackupRestoreRequested', 'BackupRestored', 'BackupRestoreFailed',
  'InstanceSeededFromBackup', 'BackupScheduleSet', 'BackupScheduleCleared',
] as const satisfies readonly InstanceBackupEvent['type'][];

export type InstanceBackupCommand =
  | { type: 'CreateBackup'; backupId: string; scheduled: boolean }
  /** The host wrote the backup asked for by the event at `requestVersion`. */
  | { type: 'CompleteBackup'; requestVersion: number; sizeMb: number }
  /** A STOPPED instance's disk becomes the backup's (an AVAILABLE backup of `kind`, checked by its own decider). */
  | { type: 'RestoreBackup'; backupId: string; kind: InstanceKind }
  /** A new instance, still waiting for its host, is to be made from the backup. */
  | { type: 'SeedFromBackup'; backupId: string }
  | { type: 'SetBackupSchedule'; schedule: BackupSchedule | null };

export const INSTANCE_BACKUP_COMMAND_TYPES: readonly InstanceBackupCommand['type'][] = ['CreateBackup', 'CompleteBackup', 'RestoreBackup', 'SeedFromBackup', 'SetBackupSchedule'];

/** The most scheduled backups an instance keeps. */
export const MAX_KEPT_BACKUPS = 90;

/** The operations of an instance that are its backups'. */
export const BACKUP_OPERATIONS: readonly InstanceOperation[] = ['backup', 'restoreBackup'];

function conflict(state: InstanceState, action: string): never {
  const busy = state.operation ? ` (${state.operation.kind} in progress)` : '';
  throw AppError.conflict(`cannot ${action} an instance that is ${state.status}${busy}`);
}

function validSchedule(schedule: BackupSchedule): BackupSchedule {
  const { hourUtc, keep } = schedule;
  if (!Number.isInteger(hourUtc) || hourUtc < 0 || hourUtc > 23) throw AppError.badInput('schedule.hourUtc', 'must be a whole hour from 0 to 23 (UTC)');
  if (!Number.isInteger(keep) || keep < 1 || keep > MAX_KEPT_BACKUPS) throw AppError.badInput('schedule.keep', `must be from 1 to ${MAX_KEPT_BACKUPS}`);
  return { hourUtc, keep };
}

/** A user's backup command on the instance as it is now, or the host's answer to one. */
export function decideInstanceBackup(command: InstanceBackupCommand, state: InstanceState): InstanceBackupEvent[] {
  const { status, operation } = state;
  switch (command.type) {
    case 'CreateBackup':
      if (operation?.kind === 'backup' && operation.backupId === command.backupId) return []; // asked again
      if (!((status === 'RUNNING' || status === 'STOPPED') && operation === null)) conflict(state, 'back up');
      return [{ type: 'InstanceBackupRequested', data: { backupId: command.backupId, scheduled: command.scheduled } }];
    case 'CompleteBackup':
      if (operation?.kind !== 'backup' || operation.version !== command.requestVersion) return [];
      return [{ type: 'InstanceBackedUp', data: { backupId: operation.backupId!, sizeMb: command.sizeMb } }];
    case 'RestoreBackup':
      if (status === 'RESTORING' && operation?.backupId === command.backupId) return []; // asked again
      if (command.kind !== state.kind) throw AppError.badInput('id', `the backup is of a ${command.kind}; instance is a ${state.kind}`);
      if (!(status === 'STOPPED' && operation === null)) conflict(state, 'restore a backup onto');
      return [{ type: 'BackupRestoreRequested', data: { backupId: command.backupId } }];
    case 'SeedFromBackup':
      if (status !== 'PENDING' || state.seedBackupId) return [];
      return [{ type: 'InstanceSeededFromBackup', data: { backupId: command.backupId } }];
    case 'SetBackupSchedule': {
      if (status === 'DELETING' || status === 'DELETED') conflict(state, 'schedule backups of');
      const current = state.backupSchedule ?? null;
      if (command.schedule === null) return current ? [{ type: 'BackupScheduleCleared', data: {} }] : [];
      const schedule = validSchedule(command.schedule);
      if (current?.hourUtc === schedule.hourUtc && current.keep === schedule.keep) return [];
      return [{ type: 'BackupScheduleSet', data: schedule }];
    }
  }
}

/** What ends a backup operation the host finished: a restore's (a create's is CompleteBackup, with its size). */
export function backupOperationDone(operation: NonNullable<InstanceState['operation']>): InstanceBackupEvent[] {
  return operation.kind === 'restoreBackup' ? [{ type: 'BackupRestored', data: { backupId: operation.backupId! } }] : [];
}

/**
 * A backup operation that failed, or was taken over (a delete, a host lost): a backup being taken
 * failed; a restore refused left the instance as it was (its host writes nothing unless the whole
 * backup was read and checked), so it is STOPPED again.
 */
export function backupFailure(operation: InstanceState['operation'], reason: string): InstanceBackupEvent[] {
  if (operation?.kind === 'backup') return [{ type: 'InstanceBackupFailed', data: { backupId: operation.backupId!, reason } }];
  if (operation?.kind === 'restoreBackup') return [{ type: 'BackupRestoreFailed', data: { backupId: operation.backupId!, reason } }];
  return [];
}

/** The instance after one of its backup events; `enter` puts it in a status with an operation, as the instance decider's own events do. */
export function evolveInstanceBackups(
  previous: InstanceState,
  event: InstanceBackupEvent,
  enter: (status: InstanceState['status'] & string, operation: InstanceState['operation']) => InstanceState,
): InstanceState {
  const version = previous.version + 1;
  switch (event.type) {
    case 'InstanceBackupRequested':
      return enter(previous.status!, { kind: 'backup', version, backupId: event.data.backupId });
    case 'InstanceBackedUp':
    case 'InstanceBackupFailed': {
      // A delete that took over keeps its own operation.
      const ended = previous.operation?.kind === 'backup' && previous.operation.backupId === event.data.backupId;
      return enter(previous.status!, ended ? null : previous.operation);
    }
    case 'BackupRestoreRequested':
      return enter('RESTORING', { kind: 'restoreBackup', version, backupId: event.data.backupId });
    case 'BackupRestored':
    case 'BackupRestoreFailed':
      return enter('STOPPED', null);
    case 'InstanceSeededFromBackup':
      return { ...previous, version, seedBackupId: event.data.backupId };
    case 'BackupScheduleSet':
      return { ...previous, version, backupSchedule: event.data };
    case 'BackupScheduleCleared':
      return { ...previous, version, backupSchedule: null };
  }
}
