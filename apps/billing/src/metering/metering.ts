import { isDeepStrictEqual } from 'node:util';
import type pg from 'pg';
import type { EventEnvelope } from '#libs/contracts';
import { lockKeyInTransaction, withTransaction, type Sql } from '#libs/event-store';
import { meterBackup, meterInstance, meterInstanceFrom, meterIp, meterSnapshots, type MeterEvent, type Metered, type UsageSegment } from './meter.js';

/** The events the meter reads, by the aggregate whose stream they are on. */
export const METERED_EVENT_TYPES = {
  instance: ['InstanceRequested', 'InstanceStarted', 'InstanceStopped', 'InstanceResized', 'InstanceDeleted', 'SnapshotRequested', 'SnapshotCreated', 'SnapshotDeleted'],
  ip: ['IpAllocated', 'IpReleased'],
  backup: ['BackupRequested', 'BackupCreated', 'BackupDeleted'],
} as const;

type MeteredAggregate = keyof typeof METERED_EVENT_TYPES;

/** The billed resources of an aggregate's stream, folded from its events: an instance's stream carries its snapshots too, each a resource of its own. */
const METERS: Record<MeteredAggregate, (resourceId: string, events: MeterEvent[]) => (Metered | null)[]> = {
  instance: (resourceId, events) => [meterInstance(resourceId, events), ...meterSnapshots(resourceId, events)],
  ip: (resourceId, events) => [meterIp(resourceId, events)],
  backup: (resourceId, events) => [meterBackup(resourceId, events)],
};

const isMetered = (aggregate: string): aggregate is MeteredAggregate => Object.hasOwn(METERS, aggregate);

const EVENT_COLUMNS = 'event_id AS "eventId", type, version, occurred_at AS "occurredAt", data';
/**
 * What meters one snapshot of instance $1: its own events ($2) and the instance's request and
 * deletion, found by a partial index (migration 0317) however many snapshots the instance had.
 */
const SNAPSHOT_EVENTS = `resource_id = $1
  AND type IN ('InstanceRequested', 'InstanceDeleted', 'SnapshotRequested', 'SnapshotCreated', 'SnapshotDeleted')
  AND (data->>'snapshotId' = $2 OR data->>'snapshotId' IS NULL)`;

export const SEGMENT_COLUMNS = `id, resource_id AS "resourceId", sku, state, extract(epoch FROM started_at)::bigint AS "startedAt",
  extract(epoch FROM ended_at)::bigint AS "endedAt", opened_by AS "openedBy", closed_by AS "closedBy"`;

/** Segment rows with their seconds as numbers (PostgreSQL's bigint arrives as text). */
export function segmentOf(row: Record<string, unknown>): UsageSegment {
  return {
    id: row.id as string, resourceId: row.resourceId as string, sku: row.sku as string, state: row.state as UsageSegment['state'],
    startedAt: Number(row.startedAt), endedAt: row.endedAt === null ? null : Number(row.endedAt),
    openedBy: row.openedBy as string, closedBy: (row.closedBy as string | null) ?? null,
  };
}

const toTime = (second: number | null) => (second === null ? null : new Date(second * 1000).toISOString());

/** What turns a resource's segments from `before` to `after`: the segments new or changed in any field, and the ids of those gone. */
function segmentChanges(before: readonly UsageSegment[], after: readonly UsageSegment[]): { changed: UsageSegment[]; gone: string[] } {
  const was = new Map(before.map((s) => [s.id, s]));
  const now = new Set(after.map((s) => s.id));
  return { changed: after.filter((s) => !isDeepStrictEqual(was.get(s.id), s)), gone: before.filter((s) => !now.has(s.id)).map((s) => s.id) };
}

/** The seconds of a resource's segments that have ended. */
const closedSecondsOf = (segments: readonly UsageSegment[]) => segments.reduce((sum, s) => sum + (s.endedAt === null ? 0 : s.endedAt - s.startedAt), 0);

/** The lock an account's usage changes hold shared, and a finalize of its invoice alone (Metering.usageChanged). */
const USAGE_LOCK = 'usage:';
export const usageLock = (accountId: string) => `${USAGE_LOCK}${accountId}`;
/** Held shared by every usage change while it marks late months, and alone while a month is closed (InvoicesRepository.markClosed). */
export const MONTH_CLOSE_LOCK = 'month-close';

/** One resource's events fold one at a time; other resources go on in parallel. */
const lockResource = (tx: Sql, resourceId: string) => lockKeyInTransaction(tx, `meter:${resourceId}`);

/**
 * The earliest second at which two versions of a resource's segments differ, or null when they
 * are the same: usage before it was billed right, usage from it on may have been billed wrong.
 */
export function changedFrom(before: readonly UsageSegment[], after: readonly UsageSegment[]): number | null {
  const old = new Map(before.map((s) => [s.id, s]));
  const now = new Map(after.map((s) => [s.id, s]));
  let earliest: number | null = null;
  const note = (second: number) => (earliest = earliest === null ? second : Math.min(earliest, second));
  for (const id of new Set([...old.keys(), ...now.keys()])) {
    const a = old.get(id);
    const b = now.get(id);
    if (!a || !b || a.sku !== b.sku || a.state !== b.state || a.startedAt !== b.startedAt) note(Math.min(a?.startedAt ?? Infinity, b?.startedAt ?? Infinity));
    else if (a.endedAt !== b.endedAt) note(Math.min(a.endedAt ?? Infinity, b.endedAt ?? Infinity));
  }
  return earliest;
}

/**
 * Turns compute's and network's events into usage segments: instances, their snapshots, backups and
 * floating addresses. Each event is kept once (`meter_events`), and the resource's segments are
 * folded again from all of its events in version order, so a redelivered, duplicated or reordered
 * event leaves the same segments. An instance's start, stop or resize arriving in order (most of a
 * long-lived instance's events) goes on from its open segment instead, to the same segments, and
 * a snapshot's event folds that snapshot alone: a long-lived instance's snapshots, taken and
 * deleted on a schedule, each cost what its first one did.
 */
export class Metering {
  /** Keeps one of the METERED_EVENT_TYPES (its consumer hands it no other) and folds it into its resource's segments. */
  async record(event: EventEnvelope, tx: Sql): Promise<void> {
    const dash = event.streamId.indexOf('-');
    const aggregate = event.streamId.slice(0, dash);
    const resourceId = event.streamId.slice(dash + 1);
    if (!isMetered(aggregate)) throw new Error(`billing meters no ${aggregate} events (${event.type} on ${event.streamId})`);
    const inserted = await tx.query(
      `INSERT INTO meter_events (event_id, resource_id, version, type, occurred_at, data) VALUES ($1, $2, $3, $4, $5, $6)
       ON CONFLICT (event_id) DO NOTHING`,
      [event.eventId, resourceId, event.version, event.type, event.occurredAt, JSON.stringify(event.data)],
    );
    if (inserted.rowCount === 0) return;
    await lockResource(tx, resourceId);
    if (aggregate === 'instance' && event.type.startsWith('Snapshot')) {
      const { snapshotId } = event.data as { snapshotId: string };
      await this.save(tx, meterSnapshots(resourceId, await this.eventsOf(tx, SNAPSHOT_EVENTS, [resourceId, snapshotId])));
      return;
    }
    if (aggregate === 'instance' && (await this.goOn(tx, resourceId, event))) return;
    await this.fold(tx, aggregate, resourceId);
  }

  /**
   * Folds again the instances a change of the meter's rule left queued (`meter_refolds`), a batch
   * per transaction; replicas starting together share the queue.
   */
  async refoldQueued(pool: pg.Pool): Promise<number> {
    let folded = 0;
    for (;;) {
      const batch = await withTransaction(pool, async (tx) => {
        const { rows } = await tx.query<{ resourceId: string }>(
          `DELETE FROM meter_refolds WHERE resource_id IN (SELECT resource_id FROM meter_refolds LIMIT 100 FOR UPDATE SKIP LOCKED)
           RETURNING resource_id AS "resourceId"`,
        );
        for (const { resourceId } of rows) {
          await lockResource(tx, resourceId);
          await this.fold(tx, 'instance', resourceId);
        }
        return rows.length;
      });
      if (batch === 0) return folded;
      folded += batch;
    }
  }

  /**
   * Folds an instance's start, stop or resize that came after every event billing has of it onto its
   * open segment alone, as folding them all would: a long-lived instance's next start costs what a
   * new one's does. False where it needs the whole history (another event, one that arrived late, no open segment).
   */
  private async goOn(tx: Sql, instanceId: string, event: EventEnvelope): Promise<boolean> {
    const { rows: [row] } = await tx.query<Record<string, unknown>>(
      `SELECT ${SEGMENT_COLUMNS} FROM usage_segments WHERE resource_id = $1 AND ended_at IS NULL
         AND NOT EXISTS (SELECT FROM meter_events WHERE resource_id = $1 AND version > $2)`,
      [instanceId, event.version],
    );
    const open = row && segmentOf(row);
    const segments = open && meterInstanceFrom(open, event);
    if (!segments) return false;
    const from = changedFrom([open], segments);
    if (from === null) return true; // a start of a running instance, a stop of a stopped one: nothing changes
    const closedSeconds = closedSecondsOf(segments);
    const { rows: [{ accountId }] } = await tx.query<{ accountId: string }>(
      'UPDATE resources SET closed_seconds = closed_seconds + $2, open_since = $3 WHERE id = $1 RETURNING account_id AS "accountId"',
      [instanceId, closedSeconds, toTime(segments.find((s) => s.endedAt === null)!.startedAt)],
    );
    await this.writeSegments(tx, accountId, segments);
    await this.usageChanged(tx, accountId, from);
    return true;
  }

  private async fold(tx: Sql, aggregate: MeteredAggregate, resourceId: string): Promise<void> {
    const events = await this.eventsOf(tx, 'resource_id = $1', [resourceId]);
    await this.save(tx, METERS[aggregate](resourceId, events).filter((resource) => resource !== null));
  }

  private async eventsOf(tx: Sql, where: string, params: unknown[]): Promise<MeterEvent[]> {
    const { rows } = await tx.query<MeterEvent & { occurredAt: Date }>(`SELECT ${EVENT_COLUMNS} FROM meter_events WHERE ${where}`, params);
    return rows.map((row) => ({ ...row, occurredAt: row.occurredAt.toISOString() }));
  }

  /**
   * Writes the resources a fold gave, passing over those kept as it found them (an instance's
   * snapshots that ended long ago, when it is deleted): the same name, size and segments.
   */
  private async save(tx: Sql, resources: readonly Metered[]): Promise<void> {
    if (resources.length === 0) return;
    const ids = resources.map((r) => r.info.resourceId);
    const { rows: kept } = await tx.query<{ id: string; name: string; sizeMb: number | null }>(
      'SELECT id, name, size_mb AS "sizeMb" FROM resources WHERE id = ANY($1)', [ids],
    );
    const { rows } = await tx.query(`SELECT ${SEGMENT_COLUMNS} FROM usage_segments WHERE resource_id = ANY($1)`, [ids]);
    const previous = new Map<string, UsageSegment[]>();
    for (const segment of rows.map(segmentOf)) {
      const of = previous.get(segment.resourceId);
      if (of) of.push(segment);
      else previous.set(segment.resourceId, [segment]);
    }
    const keptAs = new Map(kept.map((row) => [row.id, row]));
    for (const metered of resources) {
      const { resourceId, name, sizeMb } = metered.info;
      const row = keptAs.get(resourceId);
      const before = previous.get(resourceId) ?? [];
      const changes = segmentChanges(before, metered.segments);
      if (row?.name === name && row.sizeMb === (sizeMb ?? null) && changes.changed.length === 0 && changes.gone.length === 0) continue;
      await this.saveOne(tx, metered, before, changes);
    }
  }

  private async saveOne(tx: Sql, metered: Metered, previous: readonly UsageSegment[], { changed, gone }: ReturnType<typeof segmentChanges>): Promise<void> {
    const { info, segments } = metered;
    const open = segments.find((s) => s.endedAt === null);
    const closedSeconds = closedSecondsOf(segments);
    // Its name too: a snapshot's comes with its request, which may arrive after its creation.
    await tx.query(
      `INSERT INTO resources (id, type, account_id, name, billing_cycle, closed_seconds, open_since, ended_at, size_mb)
       VALUES ($1, $2, $3, $4, $5, $6, $7, $8, $9)
       ON CONFLICT (id) DO UPDATE SET name = $4, closed_seconds = $6, open_since = $7, ended_at = $8, size_mb = $9`,
      [info.resourceId, info.type, info.accountId, info.name, info.billingCycle, closedSeconds,
        toTime(open?.startedAt ?? null), open || segments.length === 0 ? null : toTime(segments.at(-1)!.endedAt), info.sizeMb ?? null],
    );
    // Only the segments that changed: a deletion or a late event moves a few of a long-lived instance's thousands.
    if (gone.length > 0) await tx.query('DELETE FROM usage_segments WHERE id = ANY($1::uuid[])', [gone]);
    await this.writeSegments(tx, info.accountId, changed);
    const from = changedFrom(previous, segments);
    if (from !== null) await this.usageChanged(tx, info.accountId, from);
  }

  /** Writes a resource's segments, new or changed (a segment's id is the event that opened it; a late event may change the rest). */
  private async writeSegments(tx: Sql, accountId: string, segments: readonly UsageSegment[]): Promise<void> {
    if (segments.length === 0) return;
    await tx.query(
      `INSERT INTO usage_segments (id, resource_id, account_id, sku, state, started_at, ended_at, opened_by, closed_by)
       SELECT s.id, s.resource_id, $1, s.sku, s.state, to_timestamp(s.started_at), to_timestamp(s.ended_at), s.opened_by, s.closed_by
       FROM unnest($2::uuid[], $3::text[], $4::text[], $5::text[], $6::bigint[], $7::bigint[], $8::uuid[], $9::uuid[])
         AS s (id, resource_id, sku, state, started_at, ended_at, opened_by, closed_by)
       ON CONFLICT (id) DO UPDATE SET sku = excluded.sku, state = excluded.state, started_at = excluded.started_at,
         ended_at = excluded.ended_at, closed_by = excluded.closed_by`,
      [accountId, segments.map((s) => s.id), segments.map((s) => s.resourceId), segments.map((s) => s.sku), segments.map((s) => s.state),
        segments.map((s) => s.startedAt), segments.map((s) => s.endedAt), segments.map((s) => s.openedBy), segments.map((s) => s.closedBy)],
    );
  }

  /**
   * The account's usage changed from `from`: counted, then the months already invoiced (to the account
   * or, for a reseller's customer, to its reseller) that it changes, and months closed without an
   * invoice for it (its usage came after the close), are marked late: the next invoice bills the
   * difference. Invoiced means finalized (a number), voided since or not: a month whose draft was
   * voided was written off, and a late change to it bills nothing.
   *
   * A finalize holds the invoice's account's usage lock alone from before it compares the count with
   * the one its rating saw until it commits; here the account's and its reseller's are held shared
   * before the marking looks. So a change either commits in time to be counted (the finalize rates
   * again), or sees the invoice finalized and is marked late: never neither. The month-close lock,
   * held shared as well, does the same for a month closing: a change either commits before the close
   * chooses whom to draft, or sees the month closed.
   */
  private async usageChanged(tx: Sql, accountId: string, from: number): Promise<void> {
    // Counted, and the owners' locks taken in one statement, in their order as lockKeyInTransaction takes a
    // finalize's (PostgreSQL calls a volatile function of the select list after the sort). The marking is a
    // statement of its own: it must look once the locks are held.
    const { rows } = await tx.query<{ owner: string | null }>(
      `WITH counted AS (
         INSERT INTO usage_changes (account_id, changes) VALUES ($1, 1) ON CONFLICT (account_id) DO UPDATE SET changes = usage_changes.changes + 1
         RETURNING (SELECT parent_id FROM accounts WHERE id = $1) AS parent_id)
       SELECT owner, pg_advisory_xact_lock_shared(hashtextextended(key, 0))
       FROM (SELECT $1::text AS owner, $2 || $1 AS key UNION ALL SELECT parent_id, $2 || parent_id FROM counted WHERE parent_id IS NOT NULL
             UNION ALL SELECT NULL, $3) locks ORDER BY key`,
      [accountId, USAGE_LOCK, MONTH_CLOSE_LOCK],
    );
    await tx.query(
      `WITH owners AS (SELECT unnest($1::text[]) AS id)
       INSERT INTO late_usage (account_id, month)
       SELECT i.account_id, (i.period_start AT TIME ZONE 'UTC')::date FROM invoices i
       WHERE i.account_id IN (SELECT id FROM owners) AND i.number IS NOT NULL AND i.period_end > to_timestamp($2)
       UNION
       SELECT o.id, m.month FROM owners o JOIN closed_months m ON m.month >= date_trunc('month', to_timestamp($2) AT TIME ZONE 'UTC')::date
       WHERE NOT EXISTS (SELECT 1 FROM invoices v WHERE v.account_id = o.id AND v.period_start = m.month::timestamp AT TIME ZONE 'UTC')
       ON CONFLICT DO NOTHING`,
      [rows.flatMap((row) => (row.owner === null ? [] : [row.owner])), from],
    );
  }
}
