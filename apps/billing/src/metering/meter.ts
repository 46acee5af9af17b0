import type { BillingCycle, ComputeEvents, NetworkEvents } from '#libs/contracts';

/** One event of a billed resource's stream as billing received it. */
export interface MeterEvent {
  eventId: string;
  type: string;
  /** Its position in the resource's stream: the order of the facts, whatever order they arrive in. */
  version: number;
  occurredAt: string;
  data: unknown;
}

export type ResourceType = 'INSTANCE' | 'IPV4';
export type SegmentState = 'RUNNING' | 'STOPPED' | 'ALLOCATED';

/** Who owns a billed resource and how it is billed, from its first event. */
export interface ResourceInfo {
  resourceId: string;
  type: ResourceType;
  accountId: string;
  name: string;
  billingCycle: BillingCycle;
}

/**
 * A stretch of a resource's life in one sku and state, in whole seconds since the epoch.
 * Its id is the id of the event that opened it, so it stays the same however often it is
 * recomputed; `closedBy` is the event that ended it.
 */
export interface UsageSegment {
  id: string;
  resourceId: string;
  sku: string;
  state: SegmentState;
  startedAt: number;
  endedAt: number | null;
  openedBy: string;
  closedBy: string | null;
}

export interface Metered {
  info: ResourceInfo;
  segments: UsageSegment[];
  /** False for an instance whose create failed before it ever ran: it is not billed. */
  billable: boolean;
}

/** The SKU of an extra or floating IPv4; an instance's own IPv4 and its IPv6 are in its plan. */
export const IPV4_SKU = 'ipv4';

export const secondOf = (iso: string) => Math.floor(Date.parse(iso) / 1000);

/** Folds segments out of a resource's events, sorted by version, each boundary at its event's second. */
class SegmentLog {
  readonly segments: UsageSegment[] = [];
  private last = Number.NEGATIVE_INFINITY;

  constructor(private readonly resourceId: string) {}

  get open(): UsageSegment | undefined {
    const last = this.segments.at(-1);
    return last && last.endedAt === null ? last : undefined;
  }

  /** A later version never goes back in time: a skewed clock cannot make two segments overlap. */
  private at(event: MeterEvent): number {
    this.last = Math.max(this.last, secondOf(event.occurredAt));
    return this.last;
  }

  close(event: MeterEvent): void {
    const open = this.open;
    if (open) Object.assign(open, { endedAt: this.at(event), closedBy: event.eventId });
  }

  /** Ends the open segment (if any) and opens the next at the same second: no second is lost or counted twice. */
  switchTo(event: MeterEvent, sku: string, state: SegmentState): void {
    const at = this.at(event);
    this.close(event);
    this.segments.push({ id: event.eventId, resourceId: this.resourceId, sku, state, startedAt: at, endedAt: null, openedBy: event.eventId, closedBy: null });
  }
}

const byVersion = (events: readonly MeterEvent[]) => [...events].sort((a, b) => a.version - b.version);

/**
 * An instance is billed from InstanceScheduled to InstanceDeleted, RUNNING or STOPPED, in the
 * plan it has at each moment. Null while its InstanceRequested has not arrived.
 */
export function meterInstance(instanceId: string, events: readonly MeterEvent[]): Metered | null {
  const sorted = byVersion(events);
  const requested = sorted.find((e) => e.type === 'InstanceRequested');
  if (!requested) return null;
  const request = requested.data as ComputeEvents['InstanceRequested'];
  const log = new SegmentLog(instanceId);
  let sku = request.planId;
  let started = false;
  let deleted = false;
  let failedBeforeRunning = false;
  for (const event of sorted) {
    if (deleted) break;
    const open = log.open;
    switch (event.type) {
      case 'InstanceScheduled':
        if (!open && log.segments.length === 0) log.switchTo(event, sku, 'RUNNING');
        break;
      case 'InstanceStarted':
        started = true;
        if (open && open.state !== 'RUNNING') log.switchTo(event, sku, 'RUNNING');
        break;
      case 'InstanceStopped':
        if (open && open.state !== 'STOPPED') log.switchTo(event, sku, 'STOPPED');
        break;
      case 'InstanceResized': {
        sku = (event.data as ComputeEvents['InstanceResized']).toPlanId;
        if (open && open.sku !== sku) log.switchTo(event, sku, open.state);
        break;
      }
      case 'InstanceFailed':
        // A create that failed released everything it held; a running instance that failed still holds its host and disk.
        if (!started) {
          failedBeforeRunning = true;
          log.close(event);
        }
        break;
      case 'InstanceDeleted':
        log.close(event);
        deleted = true;
        break;
    }
  }
  return {
    info: { resourceId: instanceId, type: 'INSTANCE', accountId: request.accountId, name: request.name, billingCycle: request.billingCycle },
    segments: log.segments,
    billable: !failedBeforeRunning,
  };
}

/** A floating IPv4 is billed, hourly at the IP price, from IpAllocated to IpReleased. Null for addresses that are not billed. */
export function meterIp(ipId: string, events: readonly MeterEvent[]): Metered | null {
  const sorted = byVersion(events);
  const allocated = sorted.find((e) => e.type === 'IpAllocated');
  const ip = allocated?.data as NetworkEvents['IpAllocated'] | undefined;
  if (!allocated || !ip || ip.family !== 'IPV4' || !ip.floating) return null;
  const log = new SegmentLog(ipId);
  log.switchTo(allocated, IPV4_SKU, 'ALLOCATED');
  const released = sorted.find((e) => e.type === 'IpReleased');
  if (released) log.close(released);
  return {
    info: { resourceId: ipId, type: 'IPV4', accountId: ip.accountId, name: ip.address, billingCycle: 'HOURLY' },
    segments: log.segments,
    billable: true,
  };
}
