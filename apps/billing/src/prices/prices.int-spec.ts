import { randomUUID } from 'node:crypto';
import { PLATFORM_SCOPE, SYSTEM_ACTOR } from '#libs/contracts';
import { EventStore, eventStoreMigrations, migrate, rebuildProjection } from '#libs/event-store';
import { createTestDatabase, type TestDatabase } from '#libs/testing';
import { billingEventStore } from '../billing.event-store.js';
import { formatScaled } from '../money/money.js';
import { PLATFORM, priceListStreamId, type PriceListEvent } from './price-list.decider.js';
import { Prices } from './prices.js';

/** The migrations an installation had before price lists kept their history. */
const before = [...eventStoreMigrations, ...billingEventStore.migrations.filter((m) => m.id !== '0321-price-history')];
const at = (iso: string) => Date.parse(iso) / 1000;
const metadata = () => ({ correlationId: randomUUID(), causationId: null, actor: SYSTEM_ACTOR });
const set = (sku: string, hourly: string, monthly: string): PriceListEvent => ({
  type: 'PriceSet', data: { ownerId: PLATFORM, currency: 'EUR', sku, hourly, monthly, stoppedHourly: null, stoppedMonthly: null },
});

describe('prices: an installation whose read model kept only the latest price, upgraded', () => {
  let db: TestDatabase;

  beforeAll(async () => {
    db = await createTestDatabase('billing_prices_');
  });

  afterAll(() => db?.close());

  it('rebuilds every price and option change from the price-list streams, and rates each second at the one in force then', async () => {
    await migrate(db.pool, db.schema, before);
    // The streams as they were written, and the read model as it was: the latest price and options only.
    const bare = new EventStore(db.pool, db.schema);
    const stream = priceListStreamId(PLATFORM, 'EUR');
    const history: [PriceListEvent, string][] = [
      [set('ct-512m', '0.01', '5.00'), '2026-08-01T00:00:00Z'],
      [set('ct-512m', '0.02', '12.00'), '2026-09-15T12:00:00.300Z'],
      [{ type: 'PriceListOptionsSet', data: { ownerId: PLATFORM, currency: 'EUR', granularity: 'PER_HOUR', stoppedBilling: 'FULL' } }, '2026-09-20T00:00:00Z'],
    ];
    for (const [event, occurredAt] of history) await bare.append(stream, [event], { expectedVersion: 'any', occurredAt: new Date(occurredAt), metadata: metadata() });
    await db.pool.query(`INSERT INTO prices (owner_id, currency, sku, hourly, monthly) VALUES ('${PLATFORM}', 'EUR', 'ct-512m', 0.02, 12.00)`);
    await db.pool.query(`INSERT INTO price_lists (owner_id, currency, granularity, stopped_billing) VALUES ('${PLATFORM}', 'EUR', 'PER_HOUR', 'FULL')`);

    await migrate(db.pool, db.schema, [...eventStoreMigrations, ...billingEventStore.migrations]);
    const store = new EventStore(db.pool, db.schema, billingEventStore.projections);
    const prices = new Prices(db.pool, store);
    const check = async () => {
      const book = await prices.bookFor(PLATFORM, 'EUR');
      // Set at 12:00:00.300, the raise is in force from 12:00:00, the second it was set in, as usage begun then would be counted.
      expect([at('2026-08-01T00:00:00Z'), at('2026-09-15T11:59:59Z'), at('2026-09-15T12:00:00Z')].map((s) => formatScaled(book.priceAt('ct-512m', s).hourly))).toEqual(['0.01', '0.01', '0.02']);
      expect([at('2026-09-19T00:00:00Z'), at('2026-09-20T00:00:00Z')].map((s) => book.optionsAt(s).granularity)).toEqual(['PER_SECOND', 'PER_HOUR']);
    };
    await check();

    // From now on the projection keeps each change beside the earlier ones.
    await store.append(stream, [set('ct-512m', '0.03', '15.00')], { expectedVersion: 'any', metadata: metadata() });
    expect((await db.pool.query(`SELECT hourly::text FROM prices ORDER BY set_at`)).rows.map((r) => r.hourly)).toEqual(['0.01', '0.02', '0.03']);
    expect((await prices.platformList('EUR')).map((p) => [p.sku, p.hourlyPrice])).toEqual([['ct-512m', '0.03']]);
    expect(await prices.currencies()).toEqual(['EUR']);
    // And a rebuild from the events gives the same history.
    expect(await rebuildProjection(store, 'price-lists')).toBe(4);
    expect((await db.pool.query(`SELECT hourly::text FROM prices ORDER BY set_at`)).rows.map((r) => r.hourly)).toEqual(['0.01', '0.02', '0.03']);
    await check();
  });
});

describe('prices: a price list changed by many calls at once', () => {
  let db: TestDatabase;

  beforeAll(async () => {
    db = await createTestDatabase('billing_prices_');
    await migrate(db.pool, db.schema, [...eventStoreMigrations, ...billingEventStore.migrations]);
  });

  afterAll(() => db?.close());

  it("answers each of sixty prices set at once, as a reseller's automation sets them, and keeps every one", async () => {
    const prices = new Prices(db.pool, new EventStore(db.pool, db.schema, billingEventStore.projections));
    const plans = Array.from({ length: 60 }, (_, i) => `plan-${i}`);
    const admin = { accountIds: PLATFORM_SCOPE } as const;
    // None gives up on the others' appends to the list's stream.
    await Promise.all(plans.map((planId, i) => prices.set({ planId, currency: 'EUR', hourlyPrice: `0.0${i % 9 + 1}`, monthlyPrice: '5.00' }, admin, metadata())));
    const list = await prices.platformList('EUR');
    expect(list.filter((price) => price.sku.startsWith('plan-')).map((price) => [price.sku, price.hourlyPrice]).sort())
      .toEqual(plans.map((planId, i) => [planId, `0.0${i % 9 + 1}`]).sort());
    // The storage prices a currency the platform prices in gets, once.
    expect((await db.pool.query(`SELECT sku FROM prices WHERE sku NOT LIKE 'plan-%' ORDER BY sku`)).rows.map((row) => row.sku)).toEqual(['backup-storage', 'snapshot-storage']);
  });
});
