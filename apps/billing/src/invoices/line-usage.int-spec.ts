import { randomUUID } from 'node:crypto';
import type { InvoiceLineView } from '#libs/contracts';
import { eventStoreMigrations, migrate } from '#libs/event-store';
import { createTestDatabase, failureOf, type TestDatabase } from '#libs/testing';
import { billingEventStore } from '../billing.event-store.js';
import { InvoicesRepository } from './invoices.repository.js';

const PACKED = '0332-invoice-line-usage-packed';

/**
 * Lines frozen with their usage as jsonb objects, before it was packed: the migration packs them,
 * and they read back as they were frozen; lines frozen since read back as finalize answered them.
 */
describe('invoice lines\' usage, packed', () => {
  let db: TestDatabase;
  const invoiceId = randomUUID();
  const [resourceId, otherResource, segment, openedBy] = [randomUUID(), randomUUID(), randomUUID(), randomUUID()];
  const period = { periodStart: '2026-09-01T00:00:00.000Z', periodEnd: '2026-10-01T00:00:00.000Z' };
  const lines: InvoiceLineView[] = [
    {
      id: randomUUID(), description: 'web (ct-1g, hourly) at 0.01 an hour, September 2026', resourceId, resourceType: 'INSTANCE', accountId: 'acct-1',
      sku: 'ct-1g', quantity: '26', unit: 'hour', unitPrice: '0.01', amount: '0.26', ...period,
      usage: [
        { segmentId: segment, resourceId, sku: 'ct-1g', state: 'RUNNING', startedAt: '2026-09-10T00:00:00.000Z', endedAt: '2026-09-11T00:00:00.000Z', seconds: 86_400, openedBy: segment, closedBy: randomUUID() },
        // Not as the meter writes them, kept all the same.
        { segmentId: randomUUID(), resourceId: otherResource, sku: 'ct-2g', state: 'STOPPED', startedAt: '2026-09-11T00:00:00.000Z', endedAt: null, seconds: 7200, openedBy, closedBy: null },
      ],
    },
    {
      id: randomUUID(), description: 'web, monthly cap of 4.00 (ct-1g)', resourceId, resourceType: 'INSTANCE', accountId: 'acct-1',
      sku: 'ct-1g', quantity: '1', unit: 'cap', unitPrice: '-0.26', amount: '-0.26', ...period, usage: [],
    },
  ];

  beforeAll(async () => {
    db = await createTestDatabase('billing_usage_');
    const migrations = [...eventStoreMigrations, ...billingEventStore.migrations];
    await migrate(db.pool, db.schema, migrations.filter((m) => m.id < PACKED));
    for (const [n, { usage, ...line }] of lines.entries()) {
      await db.pool.query(
        `INSERT INTO invoice_lines (id, invoice_id, line_no, description, resource_id, resource_type, account_id, sku, quantity, unit, unit_price, amount, period_start, period_end, usage)
         VALUES ($1, $2, $3, $4, $5, $6, $7, $8, $9, $10, $11, $12, $13, $14, $15)`,
        [line.id, invoiceId, n + 1, line.description, line.resourceId, line.resourceType, line.accountId, line.sku, line.quantity, line.unit, line.unitPrice, line.amount,
          line.periodStart, line.periodEnd, JSON.stringify(usage)],
      );
    }
    await migrate(db.pool, db.schema, migrations);
  });

  afterAll(() => db?.close());

  it('packs the lines frozen before, which read back as they were frozen and still never change', async () => {
    const repository = new InvoicesRepository(db.pool);
    expect(await repository.frozenLines(invoiceId)).toEqual(lines);
    const { rows } = await db.pool.query<{ usage: unknown[] }>('SELECT usage FROM invoice_lines WHERE invoice_id = $1 ORDER BY line_no', [invoiceId]);
    expect(rows[0].usage).toHaveLength(2);
    expect(rows[0].usage[0]).toHaveLength(9); // SQL packs every tuple whole, nulls included
    expect(await failureOf(db.pool.query(`UPDATE invoice_lines SET description = 'x' WHERE invoice_id = $1`, [invoiceId]))).toMatchObject({ message: expect.stringContaining('never change') });
  });

  it('freezes new lines packed with the issuer\'s next number, and reads them back as they were', async () => {
    const repository = new InvoicesRepository(db.pool);
    const another = randomUUID();
    const fresh = lines.map((line) => ({ ...line, id: randomUUID() }));
    expect(await repository.freezeLinesAndTakeNumbers(db.pool, [{ invoiceId: another, lines: fresh }], 'platform', 2026)).toEqual({ last: 1, issuerName: null });
    expect(await repository.frozenLines(another)).toEqual(fresh);
    const { rows } = await db.pool.query<{ usage: unknown[][] }>('SELECT usage FROM invoice_lines WHERE invoice_id = $1 ORDER BY line_no', [another]);
    expect(rows.map((row) => row.usage.map((tuple) => tuple.length))).toEqual([[6, 9], []]);
  });

  it('freezes several invoices at once, each with its own lines numbered from 1, and takes the numbers that follow', async () => {
    const repository = new InvoicesRepository(db.pool);
    const [first, second] = [randomUUID(), randomUUID()];
    const linesOf = (count: number) => lines.slice(0, count).map((line) => ({ ...line, id: randomUUID() }));
    const [firstLines, secondLines] = [linesOf(1), linesOf(2)];
    const taken = await repository.freezeLinesAndTakeNumbers(db.pool, [{ invoiceId: first, lines: firstLines }, { invoiceId: second, lines: secondLines }], 'platform', 2026);
    expect(taken).toEqual({ last: 3, issuerName: null }); // 2 and 3, after the 1 taken above
    expect(await repository.frozenLines(first)).toEqual(firstLines);
    expect(await repository.frozenLines(second)).toEqual(secondLines);
    const { rows } = await db.pool.query<{ invoiceId: string; lineNo: number }>(
      'SELECT invoice_id AS "invoiceId", line_no AS "lineNo" FROM invoice_lines WHERE invoice_id = ANY($1) ORDER BY invoice_id = $2 DESC, line_no', [[first, second], first],
    );
    expect(rows).toEqual([{ invoiceId: first, lineNo: 1 }, { invoiceId: second, lineNo: 1 }, { invoiceId: second, lineNo: 2 }]);
  });
});
