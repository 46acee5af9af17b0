import { AppError, isRfc1123Label, RFC1123_LABEL_RULE, type SnapshotEvents, type SnapshotStatus } from '#libs/contracts';
import type { DomainEvent } from '#libs/event-store';
import type { InstanceOperation, InstanceState } from '../instances/instance.decider.js';

/**
 * The snapshot part of an instance's decider. Snapshots are events of their instance's stream,
 * not aggregates of their own: what decides them is the instance's state (one operation at a
 * time, a snapshot being taken included; the count per instance; a restore is the instance's
 * RESTORING status; they go with the instance), so one stream, appended with its version, keeps
 * every rule without a lock or a saga across two streams.
 */
export type SnapshotEvent = { [T in keyof SnapshotEvents]: DomainEvent<T, SnapshotEvents[T]> }[keyof SnapshotEvents];

export const SNAPSHOT_EVENT_TYPES = [
  'SnapshotRequested', 'SnapshotCreated', 'SnapshotFailed', 'SnapshotDeletionRequested', 'SnapshotDeleted', 'SnapshotRestoreRequested', 'SnapshotRestored',
] as const satisfies readonly SnapshotEvent['type'][];

export type SnapshotCommand =
  /** `limit`: the most snapshots an instance may hold (SNAPSHOTS_PER_INSTANCE). */
  | { type: 'CreateSnapshot'; snapshotId: string; name: string; limit: number }
  | { type: 'RestoreSnapshot'; snapshotId: string }
  | { type: 'DeleteSnapshot'; snapshotId: string }
  /** The host took the snapshot asked for by the event at `requestVersion`. */
  | { type: 'CompleteSnapshot'; requestVersion: number; sizeMb: number };

export const SNAPSHOT_COMMAND_TYPES: readonly SnapshotCommand['type'][] = ['CreateSnapshot', 'RestoreSnapshot', 'DeleteSnapshot', 'CompleteSnapshot'];

export interface SnapshotState {
  name: string;
  status: SnapshotStatus;
}

/** The operations of an instance that are its snapshots' own, carried out by the host's snapshot commands. */
export const SNAPSHOT_OPERATIONS: readonly InstanceOperation[] = ['snapshot', 'deleteSnapshot', 'restore'];

/** Those that hold space now or will: what the limit counts. */
const HOLDING: readonly SnapshotStatus[] = ['CREATING', 'AVAILABLE', 'DELETING'];

/** The instance's snapshots by id; a state stored before snapshots existed has none. */
export const snapshotsOf = (state: InstanceState): Record<string, SnapshotState> => state.snapshots ?? {};

function conflict(state: InstanceState, action: string): never {
  const busy = state.operation ? ` (${state.operation.kind} in progress)` : '';
  throw AppError.conflict(`cannot ${action} an instance that is ${state.status}${busy}`);
}

function snapshotOf(state: InstanceState, snapshotId: string): SnapshotState {
  const snapshot = snapshotsOf(state)[snapshotId];
  if (!snapshot) throw AppError.notFound(`snapshot ${snapshotId}`);
  return snapshot;
}

/** A user's snapshot command, or the host's answer to one, on the instance as it is now. */
export function decideSnapshot(command: SnapshotCommand, state: InstanceState): SnapshotEvent[] {
  const { status, operation } = state;
  switch (command.type) {
    case 'CreateSnapshot': {
      if (!isRfc1123Label(command.name)) throw AppError.badInput('name', RFC1123_LABEL_RULE);
      if (snapshotsOf(state)[command.snapshotId]) return [];
      if (!((status === 'RUNNING' || status === 'STOPPED') && operation === null)) conflict(state, 'snapshot');
      const snapshots = Object.values(snapshotsOf(state));
      const holding = snapshots.filter((s) => HOLDING.includes(s.status)).length;
      if (holding >= command.limit) {
        throw AppError.conflict(`the instance has ${holding} snapshots, the most it may have (${command.limit}): delete one first`);
      }
      if (snapshots.some((s) => s.name === command.name && s.status !== 'DELETED')) {
        throw AppError.badInput('name', `the instance has a snapshot named ${command.name} already`);
      }
      return [{ type: 'SnapshotRequested', data: { snapshotId: command.snapshotId, name: command.name } }];
    }
    case 'RestoreSnapshot': {
      const snapshot = snapshotOf(state, command.snapshotId);
      if (status === 'RESTORING' && operation?.snapshotId === command.snapshotId) return []; // asked again
      if (snapshot.status !== 'AVAILABLE') throw AppError.conflict(`snapshot ${command.snapshotId} is ${snapshot.status}: only an AVAILABLE one is restored`);
      if (!(status === 'STOPPED' && operation === null)) conflict(state, 'restore a snapshot onto');
      return [{ type: 'SnapshotRestoreRequested', data: { snapshotId: command.snapshotId } }];
    }
    case 'DeleteSnapshot': {
      const snapshot = snapshotOf(state, command.snapshotId);
      if (snapshot.status === 'DELETING' || snapshot.status === 'DELETED') return [];
      if (snapshot.status === 'CREATING') throw AppError.conflict(`snapshot ${command.snapshotId} is being taken: delete it once it is AVAILABLE`);
      // Its host frees its space: an instance that is there, with nothing else under way.
      if (!((status === 'RUNNING' || status === 'STOPPED' || (status === 'ERROR' && state.provisioned)) && operation === null)) {
        conflict(state, 'delete a snapshot of');
      }
      return [{ type: 'SnapshotDeletionRequested', data: { snapshotId: command.snapshotId } }];
    }
    case 'CompleteSnapshot':
      if (operation?.kind !== 'snapshot' || operation.version !== command.requestVersion) return [];
      return [{ type: 'SnapshotCreated', data: { snapshotId: operation.snapshotId!, sizeMb: command.sizeMb } }];
  }
}

/** What ends a snapshot operation the host finished: a delete's or a restore's (a create's is CompleteSnapshot, with its size). */
export function snapshotOperationDone(operation: NonNullable<InstanceState['operation']>): SnapshotEvent[] {
  const snapshotId = operation.snapshotId!;
  switch (operation.kind) {
    case 'deleteSnapshot':
      return [{ type: 'SnapshotDeleted', data: { snapshotId } }];
    case 'restore':
      return [{ type: 'SnapshotRestored', data: { snapshotId } }];
    default:
      return []; // a create is answered by CompleteSnapshot
  }
}

/** A create or delete that failed, or was taken over: the snapshot is ERROR with the reason. A failed restore fails the instance. */
export function snapshotFailure(operation: InstanceState['operation'], reason: string): SnapshotEvent[] {
  if (operation?.kind !== 'snapshot' && operation?.kind !== 'deleteSnapshot') return [];
  return [{ type: 'SnapshotFailed', data: { snapshotId: operation.snapshotId!, reason } }];
}

/** Deleted with their instance: each snapshot not deleted before. */
export function snapshotsDeletedWith(state: InstanceState): SnapshotEvent[] {
  return Object.entries(snapshotsOf(state))
    .filter(([, snapshot]) => snapshot.status !== 'DELETED')
    .map(([snapshotId]) => ({ type: 'SnapshotDeleted', data: { snapshotId } }));
}

/**
 * The instance after one of its snapshot events. `enter` puts it in a status with an operation,
 * as the instance decider's own events do. A snapshot's create and delete leave the instance's
 * status as it was; a restore is RESTORING, then STOPPED.
 */
export function evolveSnapshots(
  previous: InstanceState,
  event: SnapshotEvent,
  enter: (status: InstanceState['status'] & string, operation: InstanceState['operation']) => InstanceState,
): InstanceState {
  const { snapshotId } = event.data;
  const version = previous.version + 1;
  const snapshots = snapshotsOf(previous);
  const become = (status: SnapshotStatus, name = snapshots[snapshotId]?.name ?? '') => ({ ...snapshots, [snapshotId]: { name, status } });
  /** The operation goes when it was this snapshot's; an instance's deletion, which deletes its snapshots too, stays. */
  const operationAfter = previous.operation?.snapshotId === snapshotId && previous.operation.kind !== 'restore' ? null : previous.operation;
  switch (event.type) {
    case 'SnapshotRequested':
      return { ...enter(previous.status!, { kind: 'snapshot', version, snapshotId }), snapshots: become('CREATING', event.data.name) };
    case 'SnapshotCreated':
      return { ...enter(previous.status!, operationAfter), snapshots: become('AVAILABLE') };
    case 'SnapshotFailed':
      return { ...enter(previous.status!, operationAfter), snapshots: become('ERROR') };
    case 'SnapshotDeletionRequested':
      return { ...enter(previous.status!, { kind: 'deleteSnapshot', version, snapshotId }), snapshots: become('DELETING') };
    case 'SnapshotDeleted':
      return { ...enter(previous.status!, operationAfter), snapshots: become('DELETED') };
    case 'SnapshotRestoreRequested':
      return enter('RESTORING', { kind: 'restore', version, snapshotId });
    case 'SnapshotRestored':
      return enter('STOPPED', null);
  }
}
