import { randomUUID } from 'node:crypto';
import { SYSTEM_ACTOR, type EventEnvelope } from '#libs/contracts';
import { eventStoreMigrations, migrate, withTransaction } from '#libs/event-store';
import { createTestDatabase, type TestDatabase } from '#libs/testing';
import { billingEventStore } from '../billing.event-store.js';
import { Metering } from './metering.js';

/** The migrations an installation had before billing started at an instance's first start. */
const before = [...eventStoreMigrations, ...billingEventStore.migrations.filter((m) => m.id !== '0311-metering-from-first-start')];

describe('metering: an installation metered from InstanceScheduled, upgraded', () => {
  let db: TestDatabase;

  beforeAll(async () => {
    db = await createTestDatabase('billing_meter_');
  });

  afterAll(() => db?.close());

  it('folds every instance again under the first-start rule, drops what never ran, and marks the finalized months that change', async () => {
    await migrate(db.pool, db.schema, before);
    const accountId = randomUUID();
    await db.pool.query(`INSERT INTO accounts (id, name, kind, parent_id, currency, tax_rate, created_at) VALUES ($1, 'Cafe', 'CUSTOMER', NULL, 'EUR', 0, now())`, [accountId]);
    await db.pool.query(
      `INSERT INTO invoices (id, position, account_id, issuer_id, currency, period_start, period_end, status, number, subtotal, tax, total)
       VALUES ($1, 1, $2, 'platform', 'EUR', '2026-09-01Z', '2026-10-01Z', 'FINALIZED', 'AWN-2026-000001', 0.48, 0, 0.48)`,
      [randomUUID(), accountId],
    );
    // As the meter kept them: `ran` billed from its scheduling, `failed` (its create failed before it ran) kept but not billable.
    const ran = randomUUID();
    const failed = randomUUID();
    const ids = { scheduled: randomUUID(), started: randomUUID(), deleted: randomUUID(), failedScheduled: randomUUID() };
    const request = (id: string) => ({ instanceId: id, accountId, name: 'web', kind: 'CONTAINER', imageId: 'img', planId: 'ct-512m', regionId: 'local', billingCycle: 'HOURLY' });
    const events: [string, string, number, string, string, unknown][] = [
      [randomUUID(), ran, 1, 'InstanceRequested', '2026-09-10T09:59:59Z', request(ran)],
      [ids.scheduled, ran, 2, 'InstanceScheduled', '2026-09-10T10:00:00Z', { hostId: 'h1' }],
      [ids.started, ran, 4, 'InstanceStarted', '2026-09-10T10:00:05Z', {}],
      [ids.deleted, ran, 6, 'InstanceDeleted', '2026-09-12T10:00:00Z', {}],
      [randomUUID(), failed, 1, 'InstanceRequested', '2026-09-10T09:59:59Z', request(failed)],
      [ids.failedScheduled, failed, 2, 'InstanceScheduled', '2026-09-10T10:00:00Z', { hostId: 'h1' }],
      [randomUUID(), failed, 3, 'InstanceFailed', '2026-09-10T10:05:00Z', { reason: 'no room' }],
    ];
    for (const [eventId, resourceId, version, type, at, data] of events) {
      await db.pool.query('INSERT INTO meter_events (event_id, resource_id, version, type, occurred_at, data) VALUES ($1, $2, $3, $4, $5, $6)', [eventId, resourceId, version, type, at, JSON.stringify(data)]);
    }
    for (const [id, billable, opened, closed, ended] of [[ran, true, ids.scheduled, ids.deleted, '2026-09-12T10:00:00Z'], [failed, false, ids.failedScheduled, null, '2026-09-10T10:05:00Z']] as const) {
      await db.pool.query(
        `INSERT INTO resources (id, type, account_id, name, billing_cycle, billable, closed_seconds, open_since, ended_at) VALUES ($1, 'INSTANCE', $2, 'web', 'HOURLY', $3, 0, NULL, $4)`,
        [id, accountId, billable, ended],
      );
      await db.pool.query(
        `INSERT INTO usage_segments (id, resource_id, account_id, sku, state, started_at, ended_at, opened_by, closed_by) VALUES ($1, $2, $3, 'ct-512m', 'RUNNING', '2026-09-10T10:00:00Z', $4, $1, $5)`,
        [opened, id, accountId, ended, closed],
      );
    }

    await migrate(db.pool, db.schema, [...eventStoreMigrations, ...billingEventStore.migrations]);
    const segmentsOf = async (id: string) =>
      (await db.pool.query<{ id: string; startedAt: Date; endedAt: Date | null }>('SELECT id, started_at AS "startedAt", ended_at AS "endedAt" FROM usage_segments WHERE resource_id = $1', [id])).rows;
    expect(await segmentsOf(failed)).toEqual([]);
    expect((await db.pool.query('SELECT resource_id FROM meter_refolds ORDER BY resource_id')).rows.map((r) => r.resource_id)).toEqual([ran, failed].sort());

    expect(await new Metering().refoldQueued(db.pool)).toBe(2);
    expect(await segmentsOf(ran)).toEqual([{ id: ids.started, startedAt: new Date('2026-09-10T10:00:05Z'), endedAt: new Date('2026-09-12T10:00:00Z') }]);
    expect(await segmentsOf(failed)).toEqual([]);
    expect((await db.pool.query('SELECT count(*)::integer AS n FROM meter_refolds')).rows[0].n).toBe(0);
    // September was invoiced from the scheduling: its next invoice settles the difference.
    expect((await db.pool.query(`SELECT account_id AS "accountId", to_char(month, 'YYYY-MM') AS month FROM late_usage`)).rows).toEqual([{ accountId, month: '2026-09' }]);
  });
});

describe("metering: a long-lived instance's starts and stops", () => {
  let db: TestDatabase;
  const metering = new Metering();
  const accountId = randomUUID();

  beforeAll(async () => {
    db = await createTestDatabase('billing_meter_');
    await migrate(db.pool, db.schema, [...eventStoreMigrations, ...billingEventStore.migrations]);
    await db.pool.query(`INSERT INTO accounts (id, name, kind, parent_id, currency, tax_rate, created_at) VALUES ($1, 'Cafe', 'CUSTOMER', NULL, 'EUR', 0, now())`, [accountId]);
  });

  afterAll(() => db?.close());

  /** An instance's metered events: requested, 200 starts and stops an hour apart with a resize and a snapshot among them, deleted. */
  function lifeOf(instanceId: string): EventEnvelope[] {
    const start = Date.parse('2026-10-01T00:00:00Z');
    const event = (version: number, type: string, data: unknown = {}): EventEnvelope => ({
      eventId: randomUUID(), type, streamId: `instance-${instanceId}`, version, occurredAt: new Date(start + version * 3_600_000).toISOString(), data,
      metadata: { correlationId: 'c-meter', causationId: null, actor: SYSTEM_ACTOR },
    });
    const events = [event(1, 'InstanceRequested', { instanceId, accountId, name: 'web', kind: 'CONTAINER', imageId: 'img', planId: 'ct-512m', regionId: 'local', billingCycle: 'HOURLY' })];
    for (let version = 3; version < 203; version += 2) events.push(event(version, events.length % 2 === 1 ? 'InstanceStarted' : 'InstanceStopped'));
    events.push(event(204, 'InstanceResized', { fromPlanId: 'ct-512m', toPlanId: 'ct-1g' }), event(205, 'InstanceStarted'));
    const snapshotId = randomUUID();
    events.push(event(206, 'SnapshotRequested', { snapshotId, name: 'before' }), event(207, 'SnapshotCreated', { snapshotId, sizeMb: 512 }));
    for (let version = 209; version < 409; version += 2) events.push(event(version, events.length % 2 === 0 ? 'InstanceStopped' : 'InstanceStarted'));
    events.push(event(410, 'InstanceDeleted'));
    return events;
  }

  const record = (event: EventEnvelope) => withTransaction(db.pool, (tx) => metering.record(event, tx));
  const usageOf = async (instanceId: string) => ({
    resource: (await db.pool.query('SELECT type, account_id, closed_seconds, open_since, ended_at FROM resources WHERE id = $1', [instanceId])).rows,
    segments: (await db.pool.query('SELECT sku, state, started_at, ended_at FROM usage_segments WHERE resource_id = $1 ORDER BY started_at, ended_at NULLS LAST', [instanceId])).rows,
  });

  /** The months a new instance's stop marks late for the account, arriving after its restart. */
  const lateStop = async () => {
    const [requested, started, stopped, restarted] = lifeOf(randomUUID());
    for (const event of [requested, started, restarted]) await record(event);
    await db.pool.query('DELETE FROM late_usage');
    await record(stopped);
    return (await db.pool.query(`SELECT to_char(month, 'YYYY-MM') AS month FROM late_usage WHERE account_id = $1`, [accountId])).rows;
  };

  it('meters them as they arrive to the usage that folding them all gives, arriving backwards', async () => {
    const inOrder = randomUUID();
    const shuffled = randomUUID();
    const life = lifeOf(inOrder);
    // The same life arriving backwards: every event but the first folds the whole history again.
    const again = lifeOf(shuffled);
    for (const event of life.slice(0, 150)) await record(event);
    for (const event of again.slice(0, 150).reverse()) await record(event);
    const midway = await usageOf(inOrder);
    // A segment from each start and stop (the first start's on), the last one open.
    expect(midway.segments).toHaveLength(146);
    expect(midway.resource).toEqual([expect.objectContaining({ open_since: midway.segments.at(-1).started_at, ended_at: null })]);
    expect(await usageOf(shuffled)).toEqual(midway);

    for (const event of life.slice(150)) await record(event);
    for (const event of again.slice(150).reverse()) await record(event);
    const ended = await usageOf(inOrder);
    expect(ended.resource).toEqual([expect.objectContaining({ type: 'INSTANCE', open_since: null, ended_at: new Date('2026-10-18T02:00:00Z') })]);
    expect(ended.segments.map((s) => s.sku)).toContain('ct-1g');
    expect(await usageOf(shuffled)).toEqual(ended);
  });

  it('moves the plan of every segment after a resize that arrives last, to the usage the events in order give', async () => {
    const [inOrder, resizedLate] = [randomUUID(), randomUUID()];
    for (const event of lifeOf(inOrder)) await record(event);
    const life = lifeOf(resizedLate);
    const resize = life.find((event) => event.type === 'InstanceResized')!;
    for (const event of [...life.filter((e) => e !== resize), resize]) await record(event);
    const usage = await usageOf(inOrder);
    expect(usage.segments.filter((s) => s.sku === 'ct-1g').length).toBeGreaterThan(90);
    expect(await usageOf(resizedLate)).toEqual(usage);
  });

  it("meters each of an instance's snapshots from its own events, arriving in any order, and ends those still stored with the instance", async () => {
    /** Six snapshots taken a day apart, the first four deleted a day after each was taken, then the instance. */
    const snapshotted = (instanceId: string) => {
      const start = Date.parse('2026-10-01T00:00:00Z');
      const event = (version: number, type: string, data: unknown = {}): EventEnvelope => ({
        eventId: randomUUID(), type, streamId: `instance-${instanceId}`, version, occurredAt: new Date(start + version * 3_600_000).toISOString(), data,
        metadata: { correlationId: 'c-meter', causationId: null, actor: SYSTEM_ACTOR },
      });
      const instance = [event(1, 'InstanceRequested', { instanceId, accountId, name: 'db', kind: 'VM', imageId: 'img', planId: 'vm-1g', regionId: 'local', billingCycle: 'HOURLY' }), event(2, 'InstanceStarted')];
      const snapshots = Array.from({ length: 6 }, (_, i) => {
        const snapshotId = randomUUID();
        const taken = 24 * (i + 1);
        return [
          event(taken, 'SnapshotRequested', { snapshotId, name: `daily-${i}` }),
          event(taken + 1, 'SnapshotCreated', { snapshotId, sizeMb: 1024 * (i + 1) }),
          ...(i < 4 ? [event(taken + 24, 'SnapshotDeleted', { snapshotId })] : []),
        ];
      });
      return { instance, snapshots, deleted: event(200, 'InstanceDeleted') };
    };
    /** The instance's snapshots as billed: name, size, and each segment with the event that ended it. */
    const snapshotsOf = async (life: ReturnType<typeof snapshotted>) => {
      const typeOf = new Map([...life.instance, ...life.snapshots.flat(), life.deleted].map((e) => [e.eventId, e.type]));
      const { rows } = await db.pool.query(
        `SELECT r.name, r.size_mb, s.state, s.started_at, s.ended_at, s.closed_by FROM resources r JOIN usage_segments s ON s.resource_id = r.id
         WHERE r.type = 'SNAPSHOT' AND r.id = ANY($1) ORDER BY r.name`,
        [life.snapshots.map(([requested]) => (requested.data as { snapshotId: string }).snapshotId)],
      );
      return rows.map(({ closed_by, ...row }) => ({ ...row, closedBy: typeOf.get(closed_by) ?? null }));
    };
    const [first, second] = [randomUUID(), randomUUID()];
    const inOrder = snapshotted(first);
    for (const event of [...inOrder.instance, ...inOrder.snapshots.flat(), inOrder.deleted]) await record(event);
    // The instance's deletion before any snapshot, and each snapshot's events backwards: its creation before its request, its deletion first.
    const shuffled = snapshotted(second);
    for (const event of [...shuffled.instance, shuffled.deleted, ...shuffled.snapshots.flatMap((events) => [...events].reverse())]) await record(event);

    const billed = await snapshotsOf(inOrder);
    expect(billed).toEqual(Array.from({ length: 6 }, (_, i) => ({
      name: `daily-${i} of db`, size_mb: 1024 * (i + 1), state: 'STORED',
      started_at: new Date(Date.parse('2026-10-01T00:00:00Z') + (24 * (i + 1) + 1) * 3_600_000),
      ended_at: new Date(Date.parse('2026-10-01T00:00:00Z') + (i < 4 ? 24 * (i + 2) : 200) * 3_600_000),
      closedBy: i < 4 ? 'SnapshotDeleted' : 'InstanceDeleted',
    })));
    expect(await snapshotsOf(shuffled)).toEqual(billed);
    // The instance itself ran from its start to its deletion, whatever its snapshots did.
    const instance = await usageOf(first);
    expect(instance.segments).toEqual([{ sku: 'vm-1g', state: 'RUNNING', started_at: new Date(inOrder.instance[1].occurredAt), ended_at: new Date(inOrder.deleted.occurredAt) }]);
    expect(await usageOf(second)).toEqual(instance);
  });

  it('folds a stop that arrives late over the history, and marks the finalized month whose usage each stop changes', async () => {
    const instanceId = randomUUID();
    const [requested, started, stopped, restarted, stoppedAgain] = lifeOf(instanceId);
    await db.pool.query(
      `INSERT INTO invoices (id, position, account_id, issuer_id, currency, period_start, period_end, status, number, subtotal, tax, total)
       VALUES ($1, 1, $2, 'platform', 'EUR', '2026-10-01Z', '2026-11-01Z', 'FINALIZED', 'AWN-2026-000002', 0, 0, 0)`,
      [randomUUID(), accountId],
    );
    await db.pool.query('DELETE FROM late_usage');
    await record(requested);
    await record(started);
    await record(restarted); // before the stop that came first
    expect((await usageOf(instanceId)).segments).toEqual([{ sku: 'ct-512m', state: 'RUNNING', started_at: new Date(started.occurredAt), ended_at: null }]);
    await db.pool.query('DELETE FROM late_usage');
    await record(stopped);
    expect((await usageOf(instanceId)).segments.map((s) => [s.state, s.started_at, s.ended_at])).toEqual([
      ['RUNNING', new Date(started.occurredAt), new Date(stopped.occurredAt)],
      ['STOPPED', new Date(stopped.occurredAt), new Date(restarted.occurredAt)],
      ['RUNNING', new Date(restarted.occurredAt), null],
    ]);
    const lateMonths = async () => (await db.pool.query(`SELECT account_id AS "accountId", to_char(month, 'YYYY-MM') AS month FROM late_usage`)).rows;
    expect(await lateMonths()).toEqual([{ accountId, month: '2026-10' }]);
    // In order, from the open segment: October's invoice was finalized with the instance running on.
    await db.pool.query('DELETE FROM late_usage');
    await record(stoppedAgain);
    expect((await usageOf(instanceId)).segments.slice(2).map((s) => [s.state, s.started_at, s.ended_at])).toEqual([
      ['RUNNING', new Date(restarted.occurredAt), new Date(stoppedAgain.occurredAt)],
      ['STOPPED', new Date(stoppedAgain.occurredAt), null],
    ]);
    expect(await lateMonths()).toEqual([{ accountId, month: '2026-10' }]);
  });
  it('marks no month whose draft was voided, as finance wrote that month off; a finalized invoice voided after is marked as before', async () => {
    await db.pool.query(`DELETE FROM invoices WHERE account_id = $1`, [accountId]);
    await db.pool.query(
      `INSERT INTO invoices (id, position, account_id, issuer_id, currency, period_start, period_end, status, number, subtotal, tax, total)
       VALUES ($1, 1, $2, 'platform', 'EUR', '2026-10-01Z', '2026-11-01Z', 'VOID', NULL, 0, 0, 0)`,
      [randomUUID(), accountId],
    );
    expect(await lateStop()).toEqual([]);
    await db.pool.query(`UPDATE invoices SET number = 'AWN-2026-000003' WHERE account_id = $1`, [accountId]);
    expect(await lateStop()).toEqual([{ month: '2026-10' }]);
  });

  it("marks a closed month the account has no invoice for, its usage come after the close; not one whose draft is still open", async () => {
    await db.pool.query(`DELETE FROM invoices WHERE account_id = $1`, [accountId]);
    expect(await lateStop()).toEqual([]); // October is not closed: its close drafts the invoice
    await db.pool.query(`INSERT INTO closed_months (month) VALUES ('2026-10-01') ON CONFLICT DO NOTHING`);
    expect(await lateStop()).toEqual([{ month: '2026-10' }]);
    await db.pool.query(
      `INSERT INTO invoices (id, position, account_id, issuer_id, currency, period_start, period_end, status, number, subtotal, tax, total)
       VALUES ($1, 1, $2, 'platform', 'EUR', '2026-10-01Z', '2026-11-01Z', 'DRAFT', NULL, 0, 0, 0)`,
      [randomUUID(), accountId],
    );
    expect(await lateStop()).toEqual([]); // the draft rates it live
  });
});
