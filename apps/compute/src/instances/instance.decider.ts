import { isRfc1123Label, RFC1123_LABEL_RULE, type BillingCycle, type ComputeEvents, type InstanceKind } from '#libs/contracts';
import type { Decider, DomainEvent } from '#libs/event-store';
import { AppError } from '#libs/messaging';

export type InstanceStatus =
  | 'PENDING' | 'PROVISIONING' | 'RUNNING' | 'STOPPED' | 'REBOOTING' | 'RESIZING' | 'MIGRATING' | 'DELETING' | 'DELETED' | 'ERROR';

/** Contract events (ARCHITECTURE.md) plus compute's own requests, which keep who asked for what in the history. */
export type InstanceEvent =
  | DomainEvent<'InstanceRequested', ComputeEvents['InstanceRequested']>
  | DomainEvent<'InstanceScheduled', ComputeEvents['InstanceScheduled']>
  | DomainEvent<'InstanceStarted', ComputeEvents['InstanceStarted']>
  | DomainEvent<'InstanceStopped', ComputeEvents['InstanceStopped']>
  | DomainEvent<'InstanceResized', ComputeEvents['InstanceResized']>
  | DomainEvent<'InstanceFailed', ComputeEvents['InstanceFailed']>
  | DomainEvent<'InstanceDeleted', ComputeEvents['InstanceDeleted']>
  | DomainEvent<'InstanceStartRequested', Record<string, never>>
  | DomainEvent<'InstanceStopRequested', { force: boolean }>
  | DomainEvent<'InstanceRebootRequested', Record<string, never>>
  | DomainEvent<'InstanceResizeRequested', { fromPlanId: string; toPlanId: string }>
  | DomainEvent<'InstanceDeletionRequested', Record<string, never>>;

export type InstanceCommand =
  | { type: 'RequestInstance'; request: ComputeEvents['InstanceRequested'] }
  | { type: 'ScheduleInstance'; hostId: string }
  | { type: 'StartInstance' }
  | { type: 'StopInstance'; force: boolean }
  | { type: 'RebootInstance' }
  | { type: 'ResizeInstance'; toPlanId: string; toKind: InstanceKind }
  | { type: 'DeleteInstance' }
  /** The host agent reports the outcome of what was asked of it. */
  | { type: 'RecordStarted' }
  | { type: 'RecordStopped' }
  | { type: 'RecordResized' }
  | { type: 'RecordDeleted' }
  | { type: 'RecordFailed'; reason: string }
  /** An instance found still in `status` past its timeout fails rather than hang there. */
  | { type: 'TimeOut'; status: InstanceStatus };

export interface InstanceState {
  status: InstanceStatus | null;
  kind: InstanceKind | null;
  planId: string | null;
  hostId: string | null;
  billingCycle: BillingCycle | null;
  /** Where a resize returns to once it is done. */
  statusBeforeResize: InstanceStatus | null;
  pendingResize: { fromPlanId: string; toPlanId: string } | null;
}

const TRANSITIONAL: InstanceStatus[] = ['PENDING', 'PROVISIONING', 'REBOOTING', 'RESIZING', 'MIGRATING', 'DELETING'];

export const instanceStreamId = (instanceId: string) => `instance-${instanceId}`;

function refuse(state: InstanceState, action: string): never {
  throw AppError.conflict(`cannot ${action} an instance that is ${state.status}`);
}

function validateRequest(request: ComputeEvents['InstanceRequested']): void {
  if (!isRfc1123Label(request.name)) throw AppError.badInput('input.name', RFC1123_LABEL_RULE);
  if (request.kind !== 'VM' && request.kind !== 'CONTAINER') throw AppError.badInput('input.kind', 'must be VM or CONTAINER');
  if (request.billingCycle !== 'HOURLY' && request.billingCycle !== 'MONTHLY') {
    throw AppError.badInput('input.billingCycle', 'must be HOURLY or MONTHLY');
  }
}

/**
 * An instance's life: PENDING until a host is reserved, PROVISIONING until the agent reports
 * it running, then RUNNING / STOPPED with REBOOTING, RESIZING and DELETING in between; ERROR
 * when a step fails or times out; DELETED at the end, kept readable with its history.
 */
export const instanceDecider: Decider<InstanceCommand, InstanceState, InstanceEvent> = {
  initialState: () => ({ status: null, kind: null, planId: null, hostId: null, billingCycle: null, statusBeforeResize: null, pendingResize: null }),

  decide(command, state) {
    const { status } = state;
    if (command.type === 'RequestInstance') {
      if (status !== null) return []; // a repeated request (idempotency key) creates nothing
      validateRequest(command.request);
      return [{ type: 'InstanceRequested', data: command.request }];
    }
    if (status === null) throw AppError.notFound('instance');
    switch (command.type) {
      case 'ScheduleInstance':
        if (status !== 'PENDING') return [];
        return [{ type: 'InstanceScheduled', data: { hostId: command.hostId } }];
      case 'StartInstance':
        if (status === 'RUNNING') return [];
        if (status !== 'STOPPED') refuse(state, 'start');
        return [{ type: 'InstanceStartRequested', data: {} }];
      case 'StopInstance':
        if (status === 'STOPPED') return [];
        if (status !== 'RUNNING' && !(command.force && status === 'REBOOTING')) refuse(state, 'stop');
        return [{ type: 'InstanceStopRequested', data: { force: command.force } }];
      case 'RebootInstance':
        if (status !== 'RUNNING') refuse(state, 'reboot');
        return [{ type: 'InstanceRebootRequested', data: {} }];
      case 'ResizeInstance':
        if (status !== 'RUNNING' && status !== 'STOPPED') refuse(state, 'resize');
        if (command.toKind !== state.kind) throw AppError.badInput('planId', `a ${state.kind} takes a ${state.kind} plan`);
        if (command.toPlanId === state.planId) return [];
        return [{ type: 'InstanceResizeRequested', data: { fromPlanId: state.planId!, toPlanId: command.toPlanId } }];
      case 'DeleteInstance':
        if (status === 'DELETING' || status === 'DELETED') return [];
        return [{ type: 'InstanceDeletionRequested', data: {} }];
      case 'RecordStarted':
        if (status === 'RUNNING' || status === 'DELETING' || status === 'DELETED') return [];
        return [{ type: 'InstanceStarted', data: {} }];
      case 'RecordStopped':
        if (status === 'STOPPED' || status === 'DELETING' || status === 'DELETED') return [];
        return [{ type: 'InstanceStopped', data: {} }];
      case 'RecordResized':
        if (status !== 'RESIZING' || !state.pendingResize) return [];
        return [{ type: 'InstanceResized', data: state.pendingResize }];
      case 'RecordDeleted':
        if (status === 'DELETED') return [];
        return [{ type: 'InstanceDeleted', data: {} }];
      case 'RecordFailed':
        if (status === 'DELETED' || status === 'ERROR') return [];
        return [{ type: 'InstanceFailed', data: { reason: command.reason } }];
      case 'TimeOut':
        if (status !== command.status || !TRANSITIONAL.includes(status)) return [];
        return [{ type: 'InstanceFailed', data: { reason: `timed out while ${status}` } }];
    }
  },

  evolve(state, event) {
    switch (event.type) {
      case 'InstanceRequested':
        return { ...state, status: 'PENDING', kind: event.data.kind, planId: event.data.planId, billingCycle: event.data.billingCycle };
      case 'InstanceScheduled':
        return { ...state, status: 'PROVISIONING', hostId: event.data.hostId };
      case 'InstanceStarted':
        return { ...state, status: 'RUNNING' };
      case 'InstanceStopped':
        return { ...state, status: 'STOPPED' };
      case 'InstanceRebootRequested':
        return { ...state, status: 'REBOOTING' };
      case 'InstanceResizeRequested':
        return { ...state, status: 'RESIZING', statusBeforeResize: state.status, pendingResize: event.data };
      case 'InstanceResized':
        return { ...state, status: state.statusBeforeResize ?? 'STOPPED', planId: event.data.toPlanId, statusBeforeResize: null, pendingResize: null };
      case 'InstanceDeletionRequested':
        return { ...state, status: 'DELETING' };
      case 'InstanceDeleted':
        return { ...state, status: 'DELETED' };
      case 'InstanceFailed':
        return { ...state, status: 'ERROR', statusBeforeResize: null, pendingResize: null };
      case 'InstanceStartRequested':
      case 'InstanceStopRequested':
        return state; // the status changes when the agent reports back
    }
  },
};
