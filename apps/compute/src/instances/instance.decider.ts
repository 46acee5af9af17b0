import {
  AppError, type BillingCycle, type ComputeEvents, type InstanceAddress, type InstanceKind, type InstanceStatus, isRfc1123Label, RFC1123_LABEL_RULE,
} from '#libs/contracts';
import type { Decider, DomainEvent } from '#libs/event-store';
import {
  decideSnapshot, evolveSnapshots, snapshotFailure, snapshotOperationDone, snapshotsDeletedWith, type SnapshotCommand, type SnapshotEvent, type SnapshotState,
} from '../snapshots/instance-snapshots.js';
import { decideConsole, evolveConsoles, type ConsoleCommand, type ConsoleEvent, type OpenConsoles } from '../consoles/instance-consoles.js';
import { decideFirewall, evolveFirewalls, type InstanceFirewallCommand, type InstanceFirewallEvent } from '../firewalls/instance-firewalls.js';
import {
  backupFailure, backupOperationDone, decideInstanceBackup, evolveInstanceBackups, INSTANCE_BACKUP_EVENT_TYPES, type InstanceBackupCommand, type InstanceBackupEvent,
} from '../backups/instance-backups.js';

export const TRANSITIONAL_STATUSES: readonly InstanceStatus[] = [
  'PENDING', 'PROVISIONING', 'STARTING', 'STOPPING', 'REBOOTING', 'RESIZING', 'MIGRATING', 'RESTORING', 'DELETING',
];

/** Contract events (ARCHITECTURE.md) plus compute's own requests, which keep who asked for what in the history. */
export type InstanceEvent =
  | DomainEvent<'InstanceRequested', ComputeEvents['InstanceRequested']>
  | DomainEvent<'InstanceScheduled', ComputeEvents['InstanceScheduled']>
  | DomainEvent<'InstanceAddressed', { addresses: InstanceAddress[] }>
  | DomainEvent<'InstanceStarted', ComputeEvents['InstanceStarted']>
  | DomainEvent<'InstanceStopped', ComputeEvents['InstanceStopped']>
  | DomainEvent<'InstanceResized', ComputeEvents['InstanceResized']>
  | DomainEvent<'InstanceMigrated', ComputeEvents['InstanceMigrated']>
  | DomainEvent<'InstanceFailed', ComputeEvents['InstanceFailed']>
  | DomainEvent<'InstanceDeleted', ComputeEvents['InstanceDeleted']>
  | DomainEvent<'InstanceStartRequested', Record<string, never>>
  | DomainEvent<'InstanceStopRequested', { force: boolean }>
  | DomainEvent<'InstanceRebootRequested', Record<string, never>>
  | DomainEvent<'InstanceResizeRequested', { fromPlanId: string; toPlanId: string }>
  | DomainEvent<'InstanceDeletionRequested', Record<string, never>>
  | DomainEvent<'InstanceMigrationRequested', MigrationRequest>
  /** A migration that could not finish: the instance stays where it was, as it was. */
  | DomainEvent<'InstanceMigrationAborted', { reason: string }>
  /** Its snapshots' (snapshots/instance-snapshots.ts). */
  | SnapshotEvent
  /** Console sessions opened and closed (consoles/instance-consoles.ts): history only, in any status. */
  | ConsoleEvent
  /** Network's firewalls attached to it and detached (firewalls/instance-firewalls.ts): history only, in any status. */
  | InstanceFirewallEvent
  /** Its backups taken and restored, and its backup schedule (backups/instance-backups.ts). */
  | InstanceBackupEvent;

/**
 * Why an instance moves: an ADMIN asked (`admin`), its host is in maintenance (`drain`), or its
 * host is DOWN (`evacuation`: restarted from its disk on another host).
 */
export type MigrationReason = 'admin' | 'drain' | 'evacuation';

export interface MigrationRequest {
  fromHostId: string;
  /** The host asked for; null lets the scheduler choose. */
  toHostId: string | null;
  /** A running VM moves live (QMP migrate); anything else moves stopped, or restarts after a host loss. */
  live: boolean;
  reason: MigrationReason;
}

/**
 * What the instance is waiting for: a host (`schedule`), its addresses from network (`address`),
 * or the host agent to carry out the rest.
 */
export type InstanceOperation =
  | 'schedule' | 'address' | 'create' | 'start' | 'stop' | 'reboot' | 'resize' | 'migrate' | 'delete' | 'snapshot' | 'deleteSnapshot' | 'restore' | 'backup' | 'restoreBackup';

export type InstanceCommand =
  | { type: 'RequestInstance'; request: ComputeEvents['InstanceRequested'] }
  | { type: 'StartInstance' }
  | { type: 'StopInstance'; force: boolean }
  | { type: 'RebootInstance' }
  | { type: 'ResizeInstance'; toPlanId: string; toKind: InstanceKind }
  | { type: 'DeleteInstance' }
  /** An ADMIN's migration refuses what cannot move; a drain's or an evacuation's passes over it. */
  | { type: 'MigrateInstance'; toHostId: string | null; reason: MigrationReason }
  /**
   * The provisioner's answers. Each names the version of the event that asked (`requestVersion`),
   * so a late answer to a request that was superseded or timed out changes nothing.
   */
  | { type: 'ScheduleInstance'; requestVersion: number; hostId: string }
  /** Network's answer to the instance's request for addresses. */
  | { type: 'AssignAddresses'; addresses: InstanceAddress[] }
  | { type: 'FailAddressing'; reason: string }
  /** `restarted`: the host restarted the guest to give it a resize's new size. */
  | { type: 'CompleteOperation'; requestVersion: number; restarted?: boolean }
  /** The instance now runs on (or, stopped, belongs to) `toHostId`. */
  | { type: 'CompleteMigration'; requestVersion: number; toHostId: string }
  | { type: 'FailOperation'; requestVersion: number; reason: string }
  /** The timeout watcher saw the instance in `status` since `statusVersion` for too long. */
  | { type: 'TimeOut'; status: InstanceStatus; statusVersion: number }
  /**
   * The host reports the instance stopped while it was RUNNING since `statusVersion`: the guest
   * powered off, or (`fenced`) the host fenced itself during a short loss of the control plane.
   */
  | { type: 'ObserveStopped'; statusVersion: number; fenced?: boolean }
  | SnapshotCommand
  | ConsoleCommand
  | InstanceFirewallCommand
  | InstanceBackupCommand;

export interface InstanceState {
  status: InstanceStatus | null;
  kind: InstanceKind | null;
  planId: string | null;
  hostId: string | null;
  billingCycle: BillingCycle | null;
  /** Its IPv4 and IPv6, which it keeps wherever it runs. */
  addresses: InstanceAddress[];
  /** Whether the host ever ran it: a failure before that leaves nothing on the host to keep. */
  provisioned: boolean;
  /** Events folded so far: the stream's version. */
  version: number;
  /** The version of the event that put the instance in its current status. */
  statusVersion: number;
  /** The operation under way and the version of the event that asked for it. */
  operation: {
    kind: InstanceOperation;
    version: number;
    force?: boolean;
    resize?: { fromPlanId: string; toPlanId: string };
    /** With the status it returns to once it has moved, or failed to. */
    migration?: MigrationRequest & { returnTo: InstanceStatus };
    /** The snapshot a snapshot operation is about. */
    snapshotId?: string;
    /** The backup a backup operation is about. */
    backupId?: string;
  } | null;
  /** Where a resize returns to once it is done. */
  statusBeforeResize: InstanceStatus | null;
  /** Its snapshots by id (absent from states stored before there were snapshots). */
  snapshots?: Record<string, SnapshotState>;
  /** Its console sessions open now, by id, with their kinds (absent from states stored before consoles). */
  consoles?: OpenConsoles;
  /** The firewalls attached to it, their names by id (absent from states stored before firewalls). */
  firewalls?: Record<string, string>;
  /** Its daily backups, where scheduled (absent from states stored before backups). */
  backupSchedule?: { hourUtc: number; keep: number } | null;
  /** The backup a new instance is made from: its host writes the backup's disk before the first start. */
  seedBackupId?: string | null;
  /**
   * A move that failed (timed out) while its attempt may still run: until anything else is asked of
   * the instance, the attempt's answer still records where it went (absent from older states).
   */
  lateMigration?: { version: number; returnTo: InstanceStatus } | null;
}

export const instanceStreamId = (instanceId: string) => `instance-${instanceId}`;
export const instanceIdOf = (streamId: string) => streamId.slice('instance-'.length);

function refuse(state: InstanceState, action: string): never {
  const busy = state.operation && !awaitsPlacement(state) ? ` (${state.operation.kind} in progress)` : '';
  throw AppError.conflict(`cannot ${action} an instance that is ${state.status}${busy}`);
}

function validateRequest(request: ComputeEvents['InstanceRequested']): void {
  if (!isRfc1123Label(request.name)) throw AppError.badInput('input.name', RFC1123_LABEL_RULE);
  if (request.kind !== 'VM' && request.kind !== 'CONTAINER') throw AppError.badInput('input.kind', 'must be VM or CONTAINER');
  if (request.billingCycle !== 'HOURLY' && request.billingCycle !== 'MONTHLY') {
    throw AppError.badInput('input.billingCycle', 'must be HOURLY or MONTHLY');
  }
}

/** Not yet on its host: waiting for a host or for its addresses. */
const awaitsPlacement = (state: InstanceState) => state.operation?.kind === 'schedule' || state.operation?.kind === 'address';
/** An instance the host has, with no operation under way or one it may take over. */
const idle = (state: InstanceState) => state.operation === null;
/** A failed instance the host ran can be started or stopped again to recover it. */
const recoverable = (state: InstanceState) => state.status === 'ERROR' && state.provisioned;

function completion(state: InstanceState, restarted: boolean): InstanceEvent[] {
  const operation = state.operation!;
  switch (operation.kind) {
    case 'schedule':
    case 'address':
      return []; // answered by ScheduleInstance, and by network through AssignAddresses
    case 'create':
    case 'start':
    case 'reboot':
      return [{ type: 'InstanceStarted', data: {} }];
    case 'stop':
      return [{ type: 'InstanceStopped', data: {} }];
    case 'resize':
      return [{ type: 'InstanceResized', data: { ...operation.resize!, ...(restarted ? { restarted } : {}) } }];
    case 'migrate':
      return []; // answered by CompleteMigration, which names the host
    case 'delete':
      return [...snapshotsDeletedWith(state), { type: 'InstanceDeleted', data: {} }];
    case 'snapshot':
    case 'deleteSnapshot':
    case 'restore':
      return snapshotOperationDone(operation);
    case 'backup':
    case 'restoreBackup':
      return backupOperationDone(operation);
  }
}

/** A backup being taken when a delete or a host's loss takes over: it fails (a restore in place is deleted with the instance). */
const backupTakenOver = (state: InstanceState, reason: string) => (state.operation?.kind === 'backup' ? backupFailure(state.operation, reason) : []);

const isInstanceBackupEvent = (event: InstanceEvent): event is InstanceBackupEvent => (INSTANCE_BACKUP_EVENT_TYPES as readonly string[]).includes(event.type);

function migration(command: Extract<InstanceCommand, { type: 'MigrateInstance' }>, state: InstanceState): InstanceEvent[] {
  const movable = command.reason === 'evacuation' ? state.status === 'RUNNING' : state.status === 'RUNNING' || state.status === 'STOPPED';
  // A host lost while it took or deleted a snapshot will not finish it: the instance moves, the snapshot fails.
  const lost = `host ${state.hostId} was lost meanwhile`;
  const takenOver = command.reason === 'evacuation' ? [...snapshotFailure(state.operation, lost), ...backupTakenOver(state, lost)] : [];
  if (!(movable && (idle(state) || takenOver.length > 0))) {
    if (command.reason === 'admin') refuse(state, 'migrate');
    return [];
  }
  if (command.toHostId === state.hostId) {
    if (command.reason === 'admin') throw AppError.badInput('hostId', `the instance is on host ${state.hostId} already`);
    return [];
  }
  const live = command.reason !== 'evacuation' && state.kind === 'VM' && state.status === 'RUNNING';
  return [...takenOver, { type: 'InstanceMigrationRequested', data: { fromHostId: state.hostId!, toHostId: command.toHostId, live, reason: command.reason } }];
}

/**
 * An instance's life: PENDING until a host is reserved, PROVISIONING while network gives it its
 * addresses and until the agent reports it running, then RUNNING / STOPPED with STARTING, STOPPING,
 * REBOOTING, RESIZING and DELETING in between; ERROR
 * when a step fails or times out; DELETED at the end, kept readable with its history.
 * MIGRATING while it moves to another host, after which it is as it was (RUNNING again after
 * an evacuation). One operation at a time: a user command while another runs is a CONFLICT,
 * except delete, which supersedes anything but a migration, and a forced stop, which takes over
 * a graceful one or a reboot. Taking or deleting a snapshot is an operation too (the status stays);
 * restoring one is RESTORING (snapshots/instance-snapshots.ts).
 */
export const instanceDecider: Decider<InstanceCommand, InstanceState, InstanceEvent> = {
  initialState: () => ({
    status: null, kind: null, planId: null, hostId: null, billingCycle: null, addresses: [], provisioned: false,
    version: 0, statusVersion: 0, operation: null, statusBeforeResize: null, snapshots: {},
  }),

  decide(command, state) {
    const { status, operation } = state;
    if (command.type === 'RequestInstance') {
      if (status !== null) return []; // a repeated request (idempotency key) creates nothing
      validateRequest(command.request);
      return [{ type: 'InstanceRequested', data: command.request }];
    }
    if (status === null) throw AppError.notFound('instance');
    switch (command.type) {
      case 'StartInstance':
        // Running, or on its way there already: asked again, nothing more to do.
        if ((status === 'RUNNING' && idle(state)) || status === 'STARTING') return [];
        if (!((status === 'STOPPED' || recoverable(state)) && idle(state))) refuse(state, 'start');
        return [{ type: 'InstanceStartRequested', data: {} }];
      case 'StopInstance': {
        if (status === 'STOPPED' && idle(state)) return [];
        const takesOver = command.force && (operation?.kind === 'reboot' || (operation?.kind === 'stop' && !operation.force));
        if (status === 'STOPPING' && !takesOver) return [];
        if (!(((status === 'RUNNING' || recoverable(state)) && idle(state)) || takesOver)) refuse(state, 'stop');
        return [{ type: 'InstanceStopRequested', data: { force: command.force } }];
      }
      case 'RebootInstance':
        if (!(status === 'RUNNING' && idle(state))) refuse(state, 'reboot');
        return [{ type: 'InstanceRebootRequested', data: {} }];
      case 'ResizeInstance':
        if (!((status === 'RUNNING' || status === 'STOPPED') && idle(state))) refuse(state, 'resize');
        if (command.toKind !== state.kind) throw AppError.badInput('planId', `a ${state.kind} takes a ${state.kind} plan`);
        if (command.toPlanId === state.planId) return [];
        return [{ type: 'InstanceResizeRequested', data: { fromPlanId: state.planId!, toPlanId: command.toPlanId } }];
      case 'DeleteInstance':
        if (status === 'DELETING' || status === 'DELETED') return [];
        // Mid-move the instance may be on either host: it is deleted once it has landed.
        if (status === 'MIGRATING') refuse(state, 'delete');
        return [...backupTakenOver(state, 'the instance was deleted meanwhile'), { type: 'InstanceDeletionRequested', data: {} }];
      case 'MigrateInstance':
        return migration(command, state);
      case 'ScheduleInstance':
        if (operation?.kind !== 'schedule' || operation.version !== command.requestVersion) return [];
        return [{ type: 'InstanceScheduled', data: { hostId: command.hostId } }];
      case 'AssignAddresses':
        if (operation?.kind !== 'address') return []; // deleted or timed out meanwhile, or answered already
        return [{ type: 'InstanceAddressed', data: { addresses: command.addresses } }];
      case 'FailAddressing':
        if (operation?.kind !== 'address') return [];
        return [{ type: 'InstanceFailed', data: { reason: `no addresses: ${command.reason}` } }];
      case 'CompleteOperation':
        if (operation?.version !== command.requestVersion) return [];
        return completion(state, command.restarted === true);
      case 'CompleteMigration': {
        const current = operation?.kind === 'migrate' && operation.version === command.requestVersion;
        // Timed out while its attempt went on: the VM moved all the same, and runs where the attempt put it.
        const late = status === 'ERROR' && state.lateMigration?.version === command.requestVersion;
        if (!current && !late) return [];
        return [{ type: 'InstanceMigrated', data: { fromHostId: state.hostId!, toHostId: command.toHostId } }];
      }
      case 'FailOperation':
        if (operation?.version !== command.requestVersion) return [];
        // A move that failed leaves the instance where it ran; a host loss that could not be recovered is a failure.
        if (operation.kind === 'migrate' && operation.migration!.reason !== 'evacuation') {
          return [{ type: 'InstanceMigrationAborted', data: { reason: command.reason } }];
        }
        if (operation.kind === 'snapshot' || operation.kind === 'deleteSnapshot') return snapshotFailure(operation, command.reason);
        if (operation.kind === 'backup' || operation.kind === 'restoreBackup') return backupFailure(operation, command.reason);
        return [{ type: 'InstanceFailed', data: { reason: command.reason } }];
      case 'TimeOut':
        if (status !== command.status || state.statusVersion !== command.statusVersion || !TRANSITIONAL_STATUSES.includes(status)) return [];
        return [{ type: 'InstanceFailed', data: { reason: `timed out while ${status}` } }];
      case 'ObserveStopped':
        if (status !== 'RUNNING' || !idle(state) || state.statusVersion !== command.statusVersion) return [];
        // Fenced on a host that is back before anyone restarted it elsewhere: it starts again there.
        return command.fenced
          ? [{ type: 'InstanceStopped', data: {} }, { type: 'InstanceStartRequested', data: {} }]
          : [{ type: 'InstanceStopped', data: {} }];
      case 'CreateSnapshot':
      case 'RestoreSnapshot':
      case 'DeleteSnapshot':
      case 'CompleteSnapshot':
        return decideSnapshot(command, state);
      case 'OpenConsole':
      case 'CloseConsole':
        return decideConsole(command, state);
      case 'RecordFirewallAttached':
      case 'RecordFirewallDetached':
        return decideFirewall(command, state);
      case 'CreateBackup':
      case 'CompleteBackup':
      case 'RestoreBackup':
      case 'SeedFromBackup':
      case 'SetBackupSchedule':
        return decideInstanceBackup(command, state);
    }
  },

  evolve(previous, event) {
    const version = previous.version + 1;
    const state = { ...previous, version };
    const enter = (status: InstanceStatus, operation: InstanceState['operation']): InstanceState => ({
      ...state,
      status,
      statusVersion: status === previous.status ? previous.statusVersion : version,
      operation,
      lateMigration: null,
    });
    switch (event.type) {
      case 'InstanceRequested':
        return {
          ...enter('PENDING', { kind: 'schedule', version }),
          kind: event.data.kind, planId: event.data.planId, billingCycle: event.data.billingCycle,
        };
      case 'InstanceScheduled':
        return { ...enter('PROVISIONING', { kind: 'address', version }), hostId: event.data.hostId };
      case 'InstanceAddressed':
        return { ...enter('PROVISIONING', { kind: 'create', version }), addresses: event.data.addresses };
      case 'InstanceStartRequested':
        return enter('STARTING', { kind: 'start', version });
      case 'InstanceStopRequested':
        return enter('STOPPING', { kind: 'stop', version, force: event.data.force });
      case 'InstanceRebootRequested':
        return enter('REBOOTING', { kind: 'reboot', version });
      case 'InstanceResizeRequested':
        return { ...enter('RESIZING', { kind: 'resize', version, resize: event.data }), statusBeforeResize: previous.status };
      case 'InstanceDeletionRequested':
        return enter('DELETING', { kind: 'delete', version });
      case 'InstanceMigrationRequested':
        return enter('MIGRATING', { kind: 'migrate', version, migration: { ...event.data, returnTo: previous.status! } });
      case 'InstanceMigrated':
        return { ...enter(previous.operation?.migration?.returnTo ?? previous.lateMigration?.returnTo ?? 'RUNNING', null), hostId: event.data.toHostId };
      case 'InstanceMigrationAborted':
        return enter(previous.operation?.migration?.returnTo ?? 'RUNNING', null);
      case 'InstanceStarted':
        return { ...enter('RUNNING', null), provisioned: true };
      case 'InstanceStopped':
        return enter('STOPPED', null);
      case 'InstanceResized':
        return { ...enter(previous.statusBeforeResize ?? 'STOPPED', null), planId: event.data.toPlanId, statusBeforeResize: null };
      case 'InstanceDeleted':
        return enter('DELETED', null);
      case 'InstanceFailed': {
        const move = previous.operation?.kind === 'migrate' ? previous.operation : null;
        return { ...enter('ERROR', null), statusBeforeResize: null, lateMigration: move && { version: move.version, returnTo: move.migration!.returnTo } };
      }
      case 'ConsoleOpened':
      case 'ConsoleClosed':
        return evolveConsoles(state, event);
      case 'InstanceFirewallAttached':
      case 'InstanceFirewallDetached':
        return evolveFirewalls(state, event);
      default:
        if (isInstanceBackupEvent(event)) return evolveInstanceBackups(previous, event, enter);
        return evolveSnapshots(previous, event, enter);
    }
  },
};
