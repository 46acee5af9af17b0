import { eventStoreMigrations, migrate, withTransaction, type RecordedEvent } from '#libs/event-store';
import { createTestDatabase, type TestDatabase } from '#libs/testing';
import { billingEventStore } from '../billing.event-store.js';
import { invoicesProjection } from './invoices.projection.js';

/** The invoices read model on a platform with many invoices: what finalizing a few of them reads. */
describe('the invoices projection, among 5,000 invoices', () => {
  let db: TestDatabase;
  let drafts: string[];

  beforeAll(async () => {
    db = await createTestDatabase('billing_invoices_');
    await migrate(db.pool, db.schema, [...eventStoreMigrations, ...billingEventStore.migrations]);
    const { rows } = await db.pool.query<{ id: string }>(
      `INSERT INTO invoices (id, position, account_id, issuer_id, currency, period_start, period_end, status)
       SELECT gen_random_uuid(), n, 'account-' || n, 'platform', 'EUR', '2026-09-01Z', '2026-10-01Z', 'DRAFT' FROM generate_series(1, 5000) n
       RETURNING id`,
    );
    drafts = rows.map((row) => row.id);
    await db.pool.query('ANALYZE invoices');
  });

  afterAll(() => db?.close());

  it('finds the invoices an issuer finalizes together by their ids, with the plan PostgreSQL keeps for the statement too', async () => {
    const finalized = drafts.slice(0, 3).map((invoiceId, i) => ({
      type: 'InvoiceFinalized', occurredAt: '2026-10-02T00:00:00.000Z',
      data: { invoiceId, accountId: `account-${i + 1}`, issuerId: 'platform', number: `AWN-2026-00000${i + 1}`, currency: 'EUR', subtotal: '10.00', tax: '2.00', total: '12.00', lineCount: 1 },
    }) as unknown as RecordedEvent);
    const read = await withTransaction(db.pool, async (tx) => {
      // As after the statement's first runs on a connection: its plan no longer knows how many invoices come.
      await tx.query('SET LOCAL plan_cache_mode = force_generic_plan');
      await invoicesProjection.applyAll!(tx, finalized);
      // The rows this transaction read from the table by scanning it, not by its key.
      const { rows } = await tx.query<{ scanned: number }>(`SELECT seq_tup_read::integer AS scanned FROM pg_stat_xact_user_tables WHERE relid = 'invoices'::regclass`);
      return rows[0].scanned;
    });
    expect(read).toBe(0);
    const { rows } = await db.pool.query('SELECT number, total::text FROM invoices WHERE id = ANY($1::uuid[]) ORDER BY number', [drafts.slice(0, 4)]);
    expect(rows).toEqual([
      { number: 'AWN-2026-000001', total: '12.00' }, { number: 'AWN-2026-000002', total: '12.00' }, { number: 'AWN-2026-000003', total: '12.00' },
      { number: null, total: null },
    ]);
  });
});
