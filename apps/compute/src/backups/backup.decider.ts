import { AppError, type BackupEvents, type BackupStatus, type InstanceKind } from '#libs/contracts';
import type { Decider, DomainEvent } from '#libs/event-store';

/**
 * A backup's own life, on its stream `backup-<id>`. A backup outlives its instance (it is how a
 * deleted instance comes back), so it cannot be a part of the instance's stream the way a snapshot
 * is: its deletion, its checksum failing and its restores as new instances happen when the
 * instance may be long gone. Taking it is also an operation of the instance, which the instance's
 * stream decides (instance-backups.ts); the outcome the instance's stream records is carried here
 * (CompleteBackup, FailBackup), as is a checksum failure found at a restore.
 */
export type BackupEvent = { [T in keyof BackupEvents]: DomainEvent<T, BackupEvents[T]> }[keyof BackupEvents];

export type BackupCommand =
  | { type: 'RequestBackup'; request: BackupEvents['BackupRequested'] }
  | { type: 'CompleteBackup'; sizeMb: number }
  /** Taking it failed, or its stored file no longer matches its checksum. */
  | { type: 'FailBackup'; reason: string }
  | { type: 'DeleteBackup' }
  | { type: 'CompleteDeletion' };

export interface BackupState {
  status: BackupStatus | null;
  backupId: string;
  instanceId: string | null;
  kind: InstanceKind | null;
  scheduled: boolean;
}

export const backupStreamId = (backupId: string) => `backup-${backupId}`;
export const backupIdOf = (streamId: string) => streamId.slice('backup-'.length);

/** Only an AVAILABLE backup is restored: one whose checksum failed never is. */
export function assertRestorable(state: BackupState, backupId: string): void {
  if (state.status === null) throw AppError.notFound(`backup ${backupId}`);
  if (state.status !== 'AVAILABLE') throw AppError.conflict(`backup ${backupId} is ${state.status}: only an AVAILABLE backup is restored`);
}

/** CREATING → AVAILABLE (sizeMb) or ERROR; AVAILABLE → ERROR when its checksum fails; AVAILABLE or ERROR → DELETING → DELETED. */
export const backupDecider: Decider<BackupCommand, BackupState, BackupEvent> = {
  initialState: () => ({ status: null, backupId: '', instanceId: null, kind: null, scheduled: false }),

  decide(command, state) {
    if (command.type === 'RequestBackup') return state.status === null ? [{ type: 'BackupRequested', data: command.request }] : [];
    const { status, backupId } = state;
    if (status === null) throw AppError.notFound('backup');
    switch (command.type) {
      case 'CompleteBackup':
        return status === 'CREATING' ? [{ type: 'BackupCreated', data: { backupId, sizeMb: command.sizeMb } }] : [];
      case 'FailBackup':
        return status === 'CREATING' || status === 'AVAILABLE' ? [{ type: 'BackupFailed', data: { backupId, reason: command.reason } }] : [];
      case 'DeleteBackup':
        if (status === 'DELETING' || status === 'DELETED') return [];
        if (status === 'CREATING') throw AppError.conflict('the backup is being taken: delete it once it is AVAILABLE');
        return [{ type: 'BackupDeletionRequested', data: { backupId } }];
      case 'CompleteDeletion':
        return status === 'DELETING' ? [{ type: 'BackupDeleted', data: { backupId } }] : [];
    }
  },

  evolve(state, event) {
    switch (event.type) {
      case 'BackupRequested':
        return { status: 'CREATING', backupId: event.data.backupId, instanceId: event.data.instanceId, kind: event.data.kind, scheduled: event.data.scheduled };
      case 'BackupCreated':
        return { ...state, status: 'AVAILABLE' };
      case 'BackupFailed':
        return { ...state, status: 'ERROR' };
      case 'BackupDeletionRequested':
        return { ...state, status: 'DELETING' };
      case 'BackupDeleted':
        return { ...state, status: 'DELETED' };
    }
  },
};
