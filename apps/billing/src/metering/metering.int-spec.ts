import { randomUUID } from 'node:crypto';
import { eventStoreMigrations, migrate } from '#libs/event-store';
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
