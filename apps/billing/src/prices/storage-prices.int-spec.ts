import { randomUUID } from 'node:crypto';
import { AppError, type CatalogEvents, type EventEnvelope, PLATFORM_SCOPE, type Scope, SYSTEM_ACTOR } from '#libs/contracts';
import { EventStore, eventStoreMigrations, migrate, withTransaction } from '#libs/event-store';
import { createTestDatabase, eventEnvelope, failureOf, type TestDatabase } from '#libs/testing';
import { Accounts } from '../accounts/accounts.js';
import { billingEventStore } from '../billing.event-store.js';
import { recordPlanPrices } from './plan-prices.consumer.js';
import { Prices } from './prices.js';

const metadata = () => ({ correlationId: randomUUID(), causationId: null, actor: SYSTEM_ACTOR });
const admin: Scope = { accountIds: PLATFORM_SCOPE };

/** Storage's prices on real PostgreSQL: the platform's in every currency it prices, and billing.price.setStorage's rules. */
describe('storage prices: snapshot-storage and backup-storage, per GB-month', () => {
  let db: TestDatabase;
  let store: EventStore;
  let prices: Prices;

  beforeAll(async () => {
    db = await createTestDatabase('billing_storage_prices_');
    await migrate(db.pool, db.schema, [...eventStoreMigrations, ...billingEventStore.migrations]);
    store = new EventStore(db.pool, db.schema, billingEventStore.projections);
    prices = new Prices(db.pool, store);
    await prices.seed();
  });

  afterAll(() => db?.close());

  /** The platform's storage prices in a currency: [snapshot-storage, backup-storage] per GB-month. */
  const storageOf = async (currency: string) => {
    const list = await prices.platformList(currency);
    return ['snapshot-storage', 'backup-storage'].map((sku) => list.find((p) => p.sku === sku)?.monthlyPrice);
  };
  const account = async (kind: 'RESELLER' | 'CUSTOMER', parentId: string | null) => {
    const id = randomUUID();
    await withTransaction(db.pool, (tx) => Accounts.record(eventEnvelope(`account-${id}`, 'AccountCreated', 1, { accountId: id, name: `${kind} ${id.slice(0, 4)}`, kind, parentId, currency: 'EUR', taxRate: '0' }), tx));
    return id;
  };

  it('prices backup storage at 0.02 in every currency the platform prices, and in each new one; a price ADMIN sets stays', async () => {
    expect([await storageOf('EUR'), await storageOf('USD')]).toEqual([['0.05', '0.02'], ['0.05', '0.02']]);
    const saved = eventEnvelope('plan-ct-chf', 'PlanSaved', 1, {
      planId: 'ct-chf', name: 'CHF plan', kind: 'CONTAINER', vcpus: 1, memoryMb: 512, diskGb: 1, prices: [{ currency: 'CHF', hourlyPrice: '0.01', monthlyPrice: '5' }],
    } satisfies CatalogEvents['PlanSaved']) as EventEnvelope<'PlanSaved', CatalogEvents['PlanSaved']>;
    await withTransaction(db.pool, (tx) => recordPlanPrices(store, saved, tx));
    expect(await storageOf('CHF')).toEqual(['0.05', '0.02']);
    await prices.set({ planId: 'ct-512m', currency: 'GBP', hourlyPrice: '0.0025', monthlyPrice: '1.70' }, admin, metadata());
    expect(await storageOf('GBP')).toEqual(['0.05', '0.02']);

    const set = await prices.setStorage({ currency: 'USD', sku: 'backup-storage', monthlyPrice: '0.0300' }, admin, metadata());
    // Storage is rated per GB-month only; its hourly price is a 672nd of it, as every price has one.
    expect(set).toEqual({ sku: 'backup-storage', currency: 'USD', ownerId: 'platform', monthlyPrice: '0.03', hourlyPrice: '0.00', stoppedHourlyPrice: null, stoppedMonthlyPrice: null });
    await prices.seed(); // as at a restart
    expect(await storageOf('USD')).toEqual(['0.05', '0.03']);
  });

  it("lets a reseller price storage for its customers, who then pay it, and refuses what billing.price.set refuses, naming the field", async () => {
    const reseller = await account('RESELLER', null);
    const customer = await account('CUSTOMER', reseller);
    const tree: Scope = { accountIds: [reseller, customer] };
    expect(await prices.setStorage({ accountId: reseller, sku: 'backup-storage', monthlyPrice: '0.04' }, tree, metadata())).toMatchObject({ ownerId: reseller, currency: 'EUR', monthlyPrice: '0.04' });
    const list = await prices.forAccount(customer, { accountIds: [customer] });
    expect(list.filter((p) => p.sku.endsWith('-storage')).map((p) => [p.sku, p.ownerId, p.monthlyPrice])).toEqual([
      ['backup-storage', reseller, '0.04'], ['snapshot-storage', 'platform', '0.05'],
    ]);

    const refusal = (input: Parameters<Prices['setStorage']>[0], scope: Scope = tree) => failureOf<AppError>(prices.setStorage(input, scope, metadata())).then((e) => [e.code, e.message]);
    // Who may set which list: as billing.price.set decides.
    expect(await refusal({ currency: 'EUR', sku: 'backup-storage', monthlyPrice: '0.01' })).toEqual(['FORBIDDEN', expect.stringContaining("only ADMIN sets the platform's prices")]);
    expect((await refusal({ accountId: reseller, sku: 'backup-storage', monthlyPrice: '0.01' }, { accountIds: [customer] }))[0]).toBe('NOT_FOUND');
    expect(await refusal({ accountId: customer, sku: 'backup-storage', monthlyPrice: '0.01' })).toEqual(['BAD_USER_INPUT', expect.stringContaining('input.accountId')]);
    expect(await refusal({ accountId: reseller, currency: 'USD', sku: 'backup-storage', monthlyPrice: '0.01' })).toEqual(['BAD_USER_INPUT', expect.stringContaining('input.currency')]);
    // What a storage price is.
    expect(await refusal({ accountId: reseller, sku: 'ct-512m', monthlyPrice: '0.01' })).toEqual(['BAD_USER_INPUT', expect.stringContaining('input.sku')]);
    for (const monthlyPrice of ['-0.01', '0,02', '0.00000000001']) {
      expect(await refusal({ accountId: reseller, sku: 'backup-storage', monthlyPrice })).toEqual(['BAD_USER_INPUT', expect.stringContaining('input.monthlyPrice')]);
    }
    // Storage alone makes no currency one accounts may be opened in.
    expect(await refusal({ currency: 'JPY', sku: 'backup-storage', monthlyPrice: '3' }, admin)).toEqual(['BAD_USER_INPUT', expect.stringContaining('input.currency')]);
    expect(await prices.currencies()).not.toContain('JPY');
  });
});
