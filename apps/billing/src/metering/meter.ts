import {
  BACKUP_STORAGE_SKU, type BackupEvents, type BillingCycle, type ComputeEvents, FLOATING_IPV4_SKU, type NetworkEvents, SNAPSHOT_STORAGE_SKU, type SnapshotEvents,
} from '#libs/contracts';

/** One event of a billed resource's stream as billing received it. */
export interface MeterEvent {
  eventId: string;
  type: string;
  /** Its position in the resource's stream: the order of the facts, whatever order they arrive in. */
  version: number;
  occurredAt: string;
  data: unknown;
}

export type ResourceType = 'INSTANCE' | 'IPV4' | 'SNAPSHOT' | 'BACKUP';
/** A stored thing's (a snapshot's, a backup's) state is STORED from when it holds space to when it is freed. */
export type SegmentState = 'RUNNING' | 'STOPPED' | 'ALLOCATED' | 'STORED';

/** Who owns a billed resource and how it is billed, from its first event. */
export interface ResourceInfo {
  resourceId: string;
  type: ResourceType;
  accountId: string;
  name: string;
  billingCycle: BillingCycle;
  /** What a stored thing is billed for, per GB-month: its size (a GB is 1024 MB). Absent for anything else. */
  sizeMb?: number | null;
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
  /** Empty for an instance that never ran: it costs nothing. */
  segments: UsageSegment[];
}

/** The SKU of an extra or floating IPv4; an instance's own IPv4 and its IPv6 are in its plan. */
export const IPV4_SKU = FLOATING_IPV4_SKU;

export const secondOf = (iso: string) => Math.floor(Date.parse(iso) / 1000);

/** Folds segments out of a resource's events, sorted by version, each boundary at its event's second. */
class SegmentLog {
  readonly segments: UsageSegment[] = [];
  private last = Number.NEGATIVE_INFINITY;

  constructor(private readonly resourceId: string) {}

  /** A resource's log as it stands from its open segment on: the clock goes on from that segment's start, its last boundary. */
  static from(open: UsageSegment): SegmentLog {
    const log = new SegmentLog(open.resourceId);
    log.segments.push({ ...open });
    log.last = open.startedAt;
    return log;
  }

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
 * An instance is billed from its first InstanceStarted to InstanceDeleted, RUNNING or STOPPED, in
 * the plan it has at each moment; one that never ran has no segment. Requests (a stop asked for,
 * a start under way) change nothing: only the facts InstanceStarted and InstanceStopped switch the
 * state, and a migration does not split a segment. Null while its InstanceRequested has not arrived.
 */
export function meterInstance(instanceId: string, events: readonly MeterEvent[]): Metered | null {
  const sorted = byVersion(events);
  const requested = sorted.find((e) => e.type === 'InstanceRequested');
  if (!requested) return null;
  const request = requested.data as ComputeEvents['InstanceRequested'];
  const log = new SegmentLog(instanceId);
  meterInstanceEvents(log, request.planId, sorted);
  return {
    info: { resourceId: instanceId, type: 'INSTANCE', accountId: request.accountId, name: request.name, billingCycle: request.billingCycle },
    segments: log.segments,
  };
}

/** What only goes on from an instance's open segment: a start, a stop, a resize. */
const GOING_ON: readonly string[] = ['InstanceStarted', 'InstanceStopped', 'InstanceResized'];

/**
 * An instance's segments from its open one on, once `event` is folded after every event it had: the
 * same as meterInstance folding them all, where the event only goes on from the open segment (a
 * start, a stop, a resize; its plan is the open segment's, as every resize switches it). Null for
 * any other event, which needs the instance's whole history.
 */
export function meterInstanceFrom(open: UsageSegment, event: MeterEvent): UsageSegment[] | null {
  if (open.endedAt !== null || !GOING_ON.includes(event.type)) return null;
  const log = SegmentLog.from(open);
  meterInstanceEvents(log, open.sku, [event]);
  return log.segments;
}

/** Folds an instance's events, sorted by version, into its log, from its plan then (`sku`). */
function meterInstanceEvents(log: SegmentLog, sku: string, sorted: readonly MeterEvent[]): void {
  for (const event of sorted) {
    const open = log.open;
    if (event.type === 'InstanceDeleted') {
      log.close(event);
      break;
    }
    if (event.type === 'InstanceResized') {
      sku = (event.data as ComputeEvents['InstanceResized']).toPlanId;
      if (open && open.sku !== sku) log.switchTo(event, sku, open.state);
    } else if (event.type === 'InstanceStarted') {
      // The first start opens the instance's billed life; before it nothing ran.
      if (log.segments.length === 0 || (open && open.state !== 'RUNNING')) log.switchTo(event, sku, 'RUNNING');
    } else if (event.type === 'InstanceStopped') {
      if (open && open.state !== 'STOPPED') log.switchTo(event, sku, 'STOPPED');
    }
    // InstanceFailed changes nothing: a failed instance that ran still holds its host and disk until it is deleted.
  }
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
  };
}

/**
 * Storage (`sku`, per GB-month) held from the event that made it to the event that freed it, or
 * on: a stored thing is billed by the second of its size, MONTHLY's formula (its months prorated to
 * the second, no minimum), whatever its instance's cycle.
 */
export function meterStorage(info: Omit<ResourceInfo, 'billingCycle'> & { sizeMb: number }, sku: string, stored: MeterEvent, freed: MeterEvent | undefined): Metered {
  const log = new SegmentLog(info.resourceId);
  log.switchTo(stored, sku, 'STORED');
  if (freed) log.close(freed);
  return { info: { ...info, billingCycle: 'MONTHLY' }, segments: log.segments };
}

/**
 * An instance's snapshots, from its stream: each billed from SnapshotCreated (it is AVAILABLE,
 * holding its size) to SnapshotDeleted, or its instance's InstanceDeleted. One that never became
 * AVAILABLE held nothing and costs nothing. Given one snapshot's events with the instance's request
 * and deletion, it meters that snapshot alone, as it would among all of them.
 */
export function meterSnapshots(instanceId: string, events: readonly MeterEvent[]): Metered[] {
  const sorted = byVersion(events);
  const requested = sorted.find((e) => e.type === 'InstanceRequested')?.data as ComputeEvents['InstanceRequested'] | undefined;
  if (!requested) return [];
  const instanceDeleted = sorted.find((e) => e.type === 'InstanceDeleted');
  const bySnapshot = new Map<string, MeterEvent[]>();
  for (const event of sorted) {
    if (!event.type.startsWith('Snapshot')) continue;
    const { snapshotId } = event.data as { snapshotId: string };
    const own = bySnapshot.get(snapshotId);
    if (own) own.push(event);
    else bySnapshot.set(snapshotId, [event]);
  }
  return [...bySnapshot].flatMap(([snapshotId, own]) => {
    const created = own.find((e) => e.type === 'SnapshotCreated');
    if (!created) return [];
    const name = (own.find((e) => e.type === 'SnapshotRequested')?.data as SnapshotEvents['SnapshotRequested'] | undefined)?.name ?? snapshotId;
    const { sizeMb } = created.data as SnapshotEvents['SnapshotCreated'];
    return [meterStorage(
      { resourceId: snapshotId, type: 'SNAPSHOT', accountId: requested.accountId, name: `${name} of ${requested.name}`, sizeMb },
      SNAPSHOT_STORAGE_SKU, created, own.find((e) => e.type === 'SnapshotDeleted') ?? instanceDeleted,
    )];
  });
}

/** When a backup was taken, to the minute, as its invoice line names it beside its instance. */
const takenAt = (iso: string) => `${iso.slice(0, 10)} ${iso.slice(11, 16)} UTC`;

/**
 * A backup, from its own stream: billed to its own account from BackupCreated (written whole to the
 * store, holding its size) to BackupDeleted, however long before that its instance went. One that
 * failed while being taken held nothing and costs nothing; one found corrupt once AVAILABLE stays in
 * the store, so it is billed until it is deleted. Null until both its request and its creation arrived.
 */
export function meterBackup(backupId: string, events: readonly MeterEvent[]): Metered | null {
  const sorted = byVersion(events);
  const requested = sorted.find((e) => e.type === 'BackupRequested');
  const created = sorted.find((e) => e.type === 'BackupCreated');
  if (!requested || !created) return null;
  const { accountId, instanceName } = requested.data as BackupEvents['BackupRequested'];
  const { sizeMb } = created.data as BackupEvents['BackupCreated'];
  return meterStorage(
    { resourceId: backupId, type: 'BACKUP', accountId, name: `${instanceName} taken ${takenAt(new Date(requested.occurredAt).toISOString())}`, sizeMb },
    BACKUP_STORAGE_SKU, created, sorted.find((e) => e.type === 'BackupDeleted'),
  );
}
