import { randomUUID } from 'node:crypto';
import type { CatalogEvents, EventEnvelope } from '#libs/contracts';
import { EventStore, withTransaction } from '#libs/event-store';
import { migrateEventStore } from '#libs/event-sourcing';
import { createTestDatabase, type TestDatabase } from '#libs/testing';
import { billingEventStore } from '../billing.event-store.js';
import { recordPlanPrices } from './plan-prices.consumer.js';
import { PLATFORM, priceListStreamId } from './price-list.decider.js';
import { Prices } from './prices.js';

const ADMIN = { kind: 'account' as const, accountId: 'platform-account', role: 'ADMIN' as const };

/** compute's PlanSaved as billing's consumer receives it. */
function planSaved(data: Partial<CatalogEvents['PlanSaved']>): EventEnvelope<'PlanSaved', CatalogEvents['PlanSaved']> {
  return {
    eventId: randomUUID(), type: 'PlanSaved', streamId: 'plan-ct-small', version: 1, occurredAt: new Date().toISOString(),
    data: { planId: 'ct-small', name: 'Small', kind: 'CONTAINER', vcpus: 1, memoryMb: 256, diskGb: 5, prices: [], ...data },
    metadata: { correlationId: randomUUID(), causationId: null, actor: ADMIN },
  };
}

describe("the platform's plan prices, from compute's PlanSaved", () => {
  let db: TestDatabase;
  let store: EventStore;
  let prices: Prices;
  const record = (event: EventEnvelope<'PlanSaved', CatalogEvents['PlanSaved']>) => withTransaction(db.pool, (tx) => recordPlanPrices(store, event, tx));
  const platformPrice = async (currency: string) => (await prices.platformList(currency)).find((p) => p.sku === 'ct-small');

  beforeEach(async () => {
    db = await createTestDatabase('billing_plan_prices_');
    await migrateEventStore(db.pool, { ...billingEventStore, service: db.schema });
    store = new EventStore(db.pool, db.schema, billingEventStore.projections);
    prices = new Prices(db.pool, store);
  });
  afterEach(() => db.close());

  it('sets the price in each currency the plan names, once however often the event comes, caused by its save', async () => {
    const saved = planSaved({ prices: [{ currency: 'EUR', hourlyPrice: '0.0050', monthlyPrice: '3' }, { currency: 'GBP', hourlyPrice: '0.004', monthlyPrice: '2.50' }] });
    await record(saved);
    await record(saved);
    expect(await platformPrice('EUR')).toMatchObject({ ownerId: PLATFORM, hourlyPrice: '0.005', monthlyPrice: '3.00' });
    expect(await platformPrice('GBP')).toMatchObject({ hourlyPrice: '0.004', monthlyPrice: '2.50' });
    // A currency the platform prices in is one accounts may be opened in.
    expect(await prices.currencies()).toEqual(['GBP', 'EUR'].sort());
    const [set] = await store.readStream(priceListStreamId(PLATFORM, 'EUR'));
    expect(set).toMatchObject({ type: 'PriceSet', metadata: { causationId: saved.eventId, actor: ADMIN } });
    // Once, and storage priced too in a currency new to the platform.
    expect((await store.readStream(priceListStreamId(PLATFORM, 'EUR'))).map((e) => (e.data as { sku: string }).sku)).toEqual(['ct-small', 'snapshot-storage', 'backup-storage']);
  });

  it('changes the prices a later save names, leaves the other currencies, and keeps a stopped price pair', async () => {
    await record(planSaved({ prices: [{ currency: 'EUR', hourlyPrice: '0.005', monthlyPrice: '3' }, { currency: 'USD', hourlyPrice: '0.006', monthlyPrice: '3.5' }] }));
    await prices.set({ accountId: null, currency: 'EUR', planId: 'ct-small', hourlyPrice: '0.005', monthlyPrice: '3', stoppedHourlyPrice: '0.001', stoppedMonthlyPrice: '0.50' },
      { accountIds: 'platform' }, { correlationId: randomUUID(), causationId: null, actor: ADMIN });
    await record(planSaved({ prices: [{ currency: 'EUR', hourlyPrice: '0.007', monthlyPrice: '4' }] }));
    expect(await platformPrice('EUR')).toMatchObject({ hourlyPrice: '0.007', monthlyPrice: '4.00', stoppedHourlyPrice: '0.001', stoppedMonthlyPrice: '0.50' });
    expect(await platformPrice('USD')).toMatchObject({ hourlyPrice: '0.006', monthlyPrice: '3.50' });
  });
});
