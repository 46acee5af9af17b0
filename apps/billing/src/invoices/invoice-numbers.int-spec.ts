import { randomUUID } from 'node:crypto';
import { AppError, PLATFORM_SCOPE, SYSTEM_ACTOR, type InvoiceView, type Scope } from '#libs/contracts';
import { eventStoreMigrations, EventStore, migrate } from '#libs/event-store';
import { AccountQueue } from '#libs/platform';
import { createTestDatabase, type TestDatabase } from '#libs/testing';
import { Dunning } from '../accounts/dunning.js';
import { billingEventStore } from '../billing.event-store.js';
import { Prices } from '../prices/prices.js';
import { monthOf } from '../rating/rating.js';
import { InvoiceFinalization, numberPrefix } from './invoice-finalization.js';
import { InvoiceQueries } from './invoice-queries.js';
import { InvoiceRating } from './invoice-rating.js';
import { InvoicesMetrics } from './invoices.metrics.js';
import { InvoicesRepository } from './invoices.repository.js';
import { MonthClose } from './month-close.js';

const metadata = () => ({ correlationId: randomUUID(), causationId: null, actor: SYSTEM_ACTOR });
const admin: Scope = { accountIds: PLATFORM_SCOPE };
const september = monthOf(Date.parse('2026-09-01T00:00:00Z') / 1000);

/**
 * A month of a reseller (3 customers) and 12 direct customers, closed twice at once and every
 * invoice finalized twice at once, all on one pool: each issuer's numbers run 1..n without a gap or
 * a repeat, whichever finalize took its number first.
 */
describe('invoice numbers under concurrent closes and finalizes', () => {
  let db: TestDatabase;
  let monthClose: MonthClose;
  let finalization: InvoiceFinalization;
  const reseller = { id: randomUUID(), name: 'Numbers Reseller' };
  const customers = Array.from({ length: 3 }, () => randomUUID());
  const directs = Array.from({ length: 12 }, () => randomUUID());

  beforeAll(async () => {
    db = await createTestDatabase('billing_numbers_');
    await migrate(db.pool, db.schema, [...eventStoreMigrations, ...billingEventStore.migrations]);
    const store = new EventStore(db.pool, db.schema, billingEventStore.projections);
    const prices = new Prices(db.pool, store);
    await prices.seed();
    const repository = new InvoicesRepository(db.pool);
    const rating = new InvoiceRating(prices);
    const queries = new InvoiceQueries(db.pool, repository, rating);
    monthClose = new MonthClose(db.pool, store, repository);
    finalization = new InvoiceFinalization(db.pool, store, repository, rating, queries, new Dunning(db.pool, store, repository), new InvoicesMetrics(), new AccountQueue(10_000));

    const accounts: [string, string, string, string | null][] = [
      [reseller.id, reseller.name, 'RESELLER', null],
      ...customers.map((id, i): [string, string, string, string | null] => [id, `Customer ${i}`, 'CUSTOMER', reseller.id]),
      ...directs.map((id, i): [string, string, string, string | null] => [id, `Direct ${i}`, 'CUSTOMER', null]),
    ];
    for (const [id, name, kind, parentId] of accounts) {
      await db.pool.query(`INSERT INTO accounts (id, name, kind, parent_id, currency, tax_rate, created_at) VALUES ($1, $2, $3, $4, 'EUR', 0.19, '2026-01-01Z')`, [id, name, kind, parentId]);
    }
    // A container a day for each account but the reseller, as the meter keeps it.
    for (const accountId of [...customers, ...directs]) {
      const resourceId = randomUUID();
      const [opened, closed] = [randomUUID(), randomUUID()];
      await db.pool.query(
        `INSERT INTO resources (id, type, account_id, name, billing_cycle, closed_seconds, open_since, ended_at)
         VALUES ($1, 'INSTANCE', $2, 'web', 'HOURLY', 86400, NULL, '2026-09-11T00:00:00Z')`,
        [resourceId, accountId],
      );
      await db.pool.query(
        `INSERT INTO usage_segments (id, resource_id, account_id, sku, state, started_at, ended_at, opened_by, closed_by)
         VALUES ($1, $2, $3, 'ct-1g', 'RUNNING', '2026-09-10T00:00:00Z', '2026-09-11T00:00:00Z', $1, $4)`,
        [opened, resourceId, accountId, closed],
      );
    }
  });

  afterAll(() => db?.close());

  it('drafts each invoice once however many closes run, and numbers every issuer without gaps', async () => {
    const closes = await Promise.all([monthClose.closeMonth(september, metadata()), monthClose.closeMonth(september, metadata())]);
    expect(closes[0].drafted + closes[1].drafted).toBe(16);
    const { rows: drafts } = await db.pool.query<{ id: string; accountId: string }>(`SELECT id, account_id AS "accountId" FROM invoices WHERE status = 'DRAFT' ORDER BY position`);
    expect(drafts.map((d) => d.accountId).sort()).toEqual([reseller.id, ...customers, ...directs].sort());
    const { rows: [events] } = await db.pool.query<{ n: number }>(`SELECT count(*)::integer AS n FROM events WHERE type = 'InvoiceDrafted'`);
    expect(events.n).toBe(16);

    // Every draft finalized twice at once: one of each pair numbers it, the other is refused.
    const attempts = await Promise.allSettled(drafts.flatMap(({ id }) => [id, id]).map((id) => finalization.finalize(id, admin, metadata())));
    const finalized = attempts.filter((a): a is PromiseFulfilledResult<InvoiceView> => a.status === 'fulfilled').map((a) => a.value);
    const refused = attempts.filter((a): a is PromiseRejectedResult => a.status === 'rejected').map((a) => a.reason as AppError);
    expect(finalized.map((i) => i.id).sort()).toEqual(drafts.map((d) => d.id).sort());
    expect(refused.map((e) => [e.code, e.message])).toEqual(drafts.map(() => ['CONFLICT', 'cannot finalize an invoice that is FINALIZED']));

    const year = new Date().getUTCFullYear();
    const numbered = (prefix: string, count: number) => Array.from({ length: count }, (_, i) => `${prefix}-${year}-${String(i + 1).padStart(6, '0')}`);
    const numbersOf = (issuerId: string) => finalized.filter((i) => i.issuerId === issuerId).map((i) => i.number!).sort();
    expect(numbersOf('platform')).toEqual(numbered('AWN', 13)); // the reseller's own invoice and the 12 direct customers'
    expect(numbersOf(reseller.id)).toEqual(numbered(numberPrefix(reseller), 3));

    // What was answered is what was recorded: the events, the invoices and their frozen lines.
    const { rows: recorded } = await db.pool.query<{ id: string; number: string; eventNumber: string; lines: number; lineCount: number }>(
      `SELECT i.id, i.number, e.data->>'number' AS "eventNumber", (e.data->>'lineCount')::integer AS "lineCount",
              (SELECT count(*)::integer FROM invoice_lines l WHERE l.invoice_id = i.id) AS lines
       FROM invoices i JOIN events e ON e.stream_id = 'invoice-' || i.id AND e.type = 'InvoiceFinalized' ORDER BY i.id`,
    );
    expect(recorded).toEqual(finalized.map((i) => ({ id: i.id, number: i.number, eventNumber: i.number, lines: i.lines.length, lineCount: i.lines.length })).sort((a, b) => a.id.localeCompare(b.id)));
    expect(finalized.every((i) => i.lines.length > 0 && i.status === 'FINALIZED' && i.creditNotes.length === 0)).toBe(true);
  });
});
