import { randomUUID } from 'node:crypto';
import { SYSTEM_ACTOR } from '#libs/contracts';
import { EventStore, eventStoreMigrations, migrate } from '#libs/event-store';
import { createTestDatabase, type TestDatabase } from '#libs/testing';
import { Accounts } from '../accounts/accounts.js';
import { billingEventStore } from '../billing.event-store.js';
import { PLATFORM, priceListStreamId } from '../prices/price-list.decider.js';
import { Prices } from '../prices/prices.js';
import { inSegmentOrder, InvoiceRating } from './invoice-rating.js';

const at = (iso: string) => Date.parse(iso) / 1000;
const SEPTEMBER = { start: at('2026-09-01T00:00:00Z'), end: at('2026-10-01T00:00:00Z') };

/** Rating reads an account's segments as PostgreSQL finds them, in whatever order its plan gives. */
describe('rating an account\'s month', () => {
  let db: TestDatabase;
  let rating: InvoiceRating;

  beforeAll(async () => {
    db = await createTestDatabase('billing_rating_');
    await migrate(db.pool, db.schema, [...eventStoreMigrations, ...billingEventStore.migrations]);
    const store = new EventStore(db.pool, db.schema, billingEventStore.projections);
    await store.append(priceListStreamId(PLATFORM, 'EUR'), [{
      type: 'PriceSet', data: { ownerId: PLATFORM, currency: 'EUR', sku: 'ct-512m', hourly: '0.01', monthly: '5.00', stoppedHourly: null, stoppedMonthly: null },
    }], { expectedVersion: 0, occurredAt: new Date('2026-08-01T00:00:00Z'), metadata: { correlationId: randomUUID(), causationId: null, actor: SYSTEM_ACTOR } });
    rating = new InvoiceRating(new Prices(db.pool, store));
  });

  afterAll(() => db?.close());

  it("lists a line's usage in the order it happened, however its segments lie in the table", async () => {
    const accountId = randomUUID();
    const resourceId = randomUUID();
    await db.pool.query(`INSERT INTO accounts (id, name, kind, parent_id, currency, tax_rate, created_at) VALUES ($1, 'Cafe Blue', 'CUSTOMER', NULL, 'EUR', 0, '2026-01-01Z')`, [accountId]);
    await db.pool.query(
      `INSERT INTO resources (id, type, account_id, name, billing_cycle, closed_seconds, ended_at) VALUES ($1, 'INSTANCE', $2, 'web', 'HOURLY', 21600, '2026-09-07T03:00:00Z')`,
      [resourceId, accountId],
    );
    // Three runs of 1, 2 and 3 hours, written last first.
    const runs = [['2026-09-03T00:00:00Z', '2026-09-03T01:00:00Z'], ['2026-09-05T00:00:00Z', '2026-09-05T02:00:00Z'], ['2026-09-07T00:00:00Z', '2026-09-07T03:00:00Z']];
    for (const [startedAt, endedAt] of [...runs].reverse()) {
      await db.pool.query(
        `INSERT INTO usage_segments (id, resource_id, account_id, sku, state, started_at, ended_at, opened_by, closed_by)
         SELECT id, $1, $2, 'ct-512m', 'RUNNING', $3, $4, id, gen_random_uuid() FROM gen_random_uuid() id`,
        [resourceId, accountId, startedAt, endedAt],
      );
    }
    const account = (await Accounts.find(db.pool, accountId))!;
    const client = await db.pool.connect();
    try {
      // Read as the table lies, not through an index ordered by start.
      await client.query('SET enable_indexscan = off; SET enable_bitmapscan = off; SET enable_indexonlyscan = off');
      const { lines } = await rating.rate(client, account, randomUUID(), SEPTEMBER, SEPTEMBER.end, false);
      expect(lines.map((line) => ({ quantity: line.quantity, amount: line.amount, usage: line.usage.map((u) => [u.startedAt, u.seconds]) }))).toEqual([{
        quantity: '6.000000', amount: '0.06',
        usage: [['2026-09-03T00:00:00.000Z', 3600], ['2026-09-05T00:00:00.000Z', 7200], ['2026-09-07T00:00:00.000Z', 10800]],
      }]);
    } finally {
      await client.query('RESET ALL');
      client.release();
    }
  });

  it("rates what of an account's usage and its customers' lies in the month, whatever came before it, found by index or by reading the table", async () => {
    const resellerId = randomUUID();
    const customerId = randomUUID();
    await db.pool.query(
      `INSERT INTO accounts (id, name, kind, parent_id, currency, tax_rate, created_at)
       VALUES ($1, 'Hosting', 'RESELLER', NULL, 'EUR', 0, '2025-01-01Z'), ($2, 'Cafe Green', 'CUSTOMER', $1, 'EUR', 0, '2025-01-01Z')`,
      [resellerId, customerId],
    );
    const resourceId = randomUUID();
    await db.pool.query(
      `INSERT INTO resources (id, type, account_id, name, billing_cycle, closed_seconds, open_since) VALUES ($1, 'INSTANCE', $2, 'db', 'HOURLY', 0, '2026-09-20T00:00:00Z')`,
      [resourceId, customerId],
    );
    // A year of daily runs before September, one ending as it begins, one across its start, one within, one open, and one after it.
    const segments = [
      ...Array.from({ length: 365 }, (_, day) => [new Date(Date.UTC(2025, 7, 31 + day, 1)), new Date(Date.UTC(2025, 7, 31 + day, 2))]),
      ['2026-08-31T23:00:00Z', '2026-09-01T00:00:00Z'], ['2026-08-31T23:30:00Z', '2026-09-01T01:00:00Z'], ['2026-09-10T00:00:00Z', '2026-09-10T02:00:00Z'],
      ['2026-09-20T00:00:00Z', null],
    ];
    await db.pool.query(
      `INSERT INTO usage_segments (id, resource_id, account_id, sku, state, started_at, ended_at, opened_by, closed_by)
       SELECT s.id, $1, $2, 'ct-512m', 'RUNNING', s.started_at, s.ended_at, s.id, gen_random_uuid()
       FROM (SELECT gen_random_uuid() AS id, * FROM unnest($3::timestamptz[], $4::timestamptz[]) AS u (started_at, ended_at)) s`,
      [resourceId, customerId, segments.map(([startedAt]) => startedAt), segments.map(([, endedAt]) => endedAt)],
    );
    await db.pool.query('ANALYZE usage_segments');
    const expected = [{
      // 1 + 2 + 11 × 24 hours: the hour across its start counted from it on, the open one to its end.
      quantity: '267.000000', usage: [['2026-08-31T23:30:00.000Z', 3600], ['2026-09-10T00:00:00.000Z', 7200], ['2026-09-20T00:00:00.000Z', 950_400]],
    }];
    for (const owner of [customerId, resellerId]) {
      const account = (await Accounts.find(db.pool, owner))!;
      const rated = async (settings: string) => {
        const client = await db.pool.connect();
        try {
          await client.query(settings);
          const { lines } = await rating.rate(client, account, randomUUID(), SEPTEMBER, SEPTEMBER.end, false);
          return lines.map((line) => ({ quantity: line.quantity, usage: line.usage.map((u) => [u.startedAt, u.seconds]) }));
        } finally {
          await client.query('RESET ALL');
          client.release();
        }
      };
      expect(await rated('SELECT 1')).toEqual(expected);
      expect(await rated('SET enable_indexscan = off; SET enable_bitmapscan = off; SET enable_indexonlyscan = off')).toEqual(expected);
    }
  });

  it('orders segments begun in the same second by id, as PostgreSQL orders (started_at, id)', async () => {
    // 300 segments over 5 seconds: most share their second with others.
    const { rows } = await db.pool.query<{ id: string; startedAt: string }>(
      `SELECT id, extract(epoch FROM started_at)::bigint AS "startedAt"
       FROM (SELECT gen_random_uuid() AS id, to_timestamp(1788220800 + n % 5) AS started_at FROM generate_series(1, 300) n) s
       ORDER BY started_at, id`,
    );
    const inPostgresOrder = rows.map(({ id, startedAt }) => [id, 'ct-512m', 'RUNNING', Number(startedAt), null, null, null] as [string, string, string, number, null, null, null]);
    const shuffled = [...inPostgresOrder].sort(() => Math.random() - 0.5);
    expect(inSegmentOrder(shuffled).map(([id]) => id)).toEqual(inPostgresOrder.map(([id]) => id));
  });
});
