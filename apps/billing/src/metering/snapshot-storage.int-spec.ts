import { randomUUID } from 'node:crypto';
import { type CatalogEvents, type EventEnvelope, PLATFORM_SCOPE, type Scope, SYSTEM_ACTOR } from '#libs/contracts';
import { EventStore, eventStoreMigrations, migrate, withTransaction } from '#libs/event-store';
import { createTestDatabase, eventEnvelope, type TestDatabase } from '#libs/testing';
import { Accounts } from '../accounts/accounts.js';
import { billingEventStore } from '../billing.event-store.js';
import { invoiceIdOf, InvoiceRating } from '../invoices/invoice-rating.js';
import { productMinor } from '../money/money.js';
import { recordPlanPrices } from '../prices/plan-prices.consumer.js';
import { Prices } from '../prices/prices.js';
import { monthOf } from '../rating/rating.js';
import { Metering } from './metering.js';

const at = (iso: string) => Date.parse(iso) / 1000;
const metadata = () => ({ correlationId: randomUUID(), causationId: null, actor: SYSTEM_ACTOR });
const admin: Scope = { accountIds: PLATFORM_SCOPE };

/**
 * Snapshot storage on real PostgreSQL: priced in every currency the platform prices, a reseller's
 * own price for its customers, metered from compute's events and rated per GB-month on lines of its own.
 * The usage is in April 2027: after every price this test sets, so each is in force for all of it.
 */
describe('snapshot storage: priced, metered and invoiced', () => {
  let db: TestDatabase;
  let store: EventStore;
  let prices: Prices;
  const metering = new Metering();

  beforeAll(async () => {
    db = await createTestDatabase('billing_snap_');
    await migrate(db.pool, db.schema, [...eventStoreMigrations, ...billingEventStore.migrations]);
    store = new EventStore(db.pool, db.schema, billingEventStore.projections);
    prices = new Prices(db.pool, store);
    await prices.seed();
  });

  afterAll(() => db?.close());

  const storagePrice = async (currency: string) => (await prices.platformList(currency)).find((p) => p.sku === 'snapshot-storage')?.monthlyPrice;
  const record = (events: EventEnvelope[]) => withTransaction(db.pool, async (tx) => {
    for (const event of events) await metering.record(event, tx);
  });
  const account = async (kind: 'RESELLER' | 'CUSTOMER', parentId: string | null) => {
    const id = randomUUID();
    await withTransaction(db.pool, (tx) => Accounts.record(eventEnvelope(`account-${id}`, 'AccountCreated', 1, { accountId: id, name: `${kind} ${id.slice(0, 4)}`, kind, parentId, currency: 'EUR', taxRate: '0' }), tx));
    return id;
  };
  /** An instance of `accountId` running from 1 April, with a snapshot of `sizeMb` taken then, deleted on `deletedAt` (with the instance when `withInstance`). */
  const instanceWithSnapshot = (accountId: string, sizeMb: number, deletedAt: string, withInstance = false) => {
    const instanceId = randomUUID();
    const snapshotId = randomUUID();
    const stream = `instance-${instanceId}`;
    const request = { instanceId, accountId, name: 'web', kind: 'CONTAINER', imageId: 'img', planId: 'ct-512m', regionId: 'local', billingCycle: 'HOURLY' };
    const events = [
      eventEnvelope(stream, 'InstanceRequested', 1, request, '2027-04-01T00:00:00Z'),
      eventEnvelope(stream, 'InstanceStarted', 4, {}, '2027-04-01T00:00:00Z'),
      eventEnvelope(stream, 'SnapshotRequested', 5, { snapshotId, name: 'before-upgrade' }, '2027-04-01T00:00:00Z'),
      eventEnvelope(stream, 'SnapshotCreated', 6, { snapshotId, sizeMb }, '2027-04-01T00:00:00Z'),
      ...(withInstance
        ? [eventEnvelope(stream, 'InstanceDeletionRequested', 7, {}, deletedAt), eventEnvelope(stream, 'SnapshotDeleted', 8, { snapshotId }, deletedAt), eventEnvelope(stream, 'InstanceDeleted', 9, {}, deletedAt)]
        : [eventEnvelope(stream, 'SnapshotDeletionRequested', 7, { snapshotId }, deletedAt), eventEnvelope(stream, 'SnapshotDeleted', 8, { snapshotId }, deletedAt)]),
    ];
    return { snapshotId, events };
  };
  const snapshotLines = async (accountId: string) => {
    const asOf = at('2027-04-30T00:00:00Z');
    const period = monthOf(asOf);
    const billed = (await Accounts.find(db.pool, accountId))!;
    const { lines } = await new InvoiceRating(prices).rate(db.pool, billed, invoiceIdOf(accountId, period), period, asOf, false);
    return lines.filter((line) => line.resourceType === 'SNAPSHOT');
  };

  it('prices snapshot storage in every currency the platform prices, and in each new one (a plan\'s save, ADMIN\'s price), keeping a price ADMIN set', async () => {
    expect([await storagePrice('EUR'), await storagePrice('USD')]).toEqual(['0.05', '0.05']);
    const saved = eventEnvelope('plan-ct-chf', 'PlanSaved', 1, {
      planId: 'ct-chf', name: 'CHF plan', kind: 'CONTAINER', vcpus: 1, memoryMb: 512, diskGb: 1, prices: [{ currency: 'CHF', hourlyPrice: '0.01', monthlyPrice: '5' }],
    } satisfies CatalogEvents['PlanSaved']) as EventEnvelope<'PlanSaved', CatalogEvents['PlanSaved']>;
    await withTransaction(db.pool, (tx) => recordPlanPrices(store, saved, tx));
    expect(await storagePrice('CHF')).toBe('0.05');
    await prices.set({ planId: 'ct-512m', currency: 'GBP', hourlyPrice: '0.0025', monthlyPrice: '1.70' }, admin, metadata());
    expect(await storagePrice('GBP')).toBe('0.05');

    await prices.set({ planId: 'snapshot-storage', currency: 'USD', hourlyPrice: '0.0001', monthlyPrice: '0.04' }, admin, metadata());
    await prices.seed(); // as at a restart
    expect(await storagePrice('USD')).toBe('0.04');
  });

  it("bills a snapshot per GB-month of its size from AVAILABLE to deleted, on a line of its own, at the reseller's price for its customer", async () => {
    const reseller = await account('RESELLER', null);
    const customer = await account('CUSTOMER', reseller);
    const direct = await account('CUSTOMER', null);
    await prices.set({ accountId: reseller, planId: 'snapshot-storage', hourlyPrice: '0.0002', monthlyPrice: '0.10' }, { accountIds: [reseller, customer] }, metadata());
    // 2 GB for 15 of April's 30 days: one GB-month. 1 GB for 10 days, deleted with its instance: a third of one.
    const ofCustomer = instanceWithSnapshot(customer, 2048, '2027-04-16T00:00:00Z');
    const ofDirect = instanceWithSnapshot(direct, 1024, '2027-04-11T00:00:00Z', true);
    await record([...ofCustomer.events].reverse()); // in any order
    await record(ofDirect.events);

    const [customerLine, ...more] = await snapshotLines(customer);
    expect(more).toEqual([]);
    expect(customerLine).toMatchObject({
      resourceId: ofCustomer.snapshotId, sku: 'snapshot-storage', unit: 'GB-month', quantity: '1.000000', unitPrice: '0.10', amount: '0.10',
      description: expect.stringContaining('Snapshot before-upgrade of web, 2048 MB (snapshot-storage) at 0.10 a GB-month, April 2027'),
    });
    expect(customerLine.usage).toEqual([expect.objectContaining({ state: 'STORED', seconds: 15 * 86_400, startedAt: '2027-04-01T00:00:00.000Z', endedAt: '2027-04-16T00:00:00.000Z' })]);
    // The reseller pays the platform's price for it.
    expect(await snapshotLines(reseller)).toEqual([expect.objectContaining({ resourceId: ofCustomer.snapshotId, accountId: customer, quantity: '1.000000', unitPrice: '0.05', amount: '0.05' })]);
    // 0.333333 × 0.05 = 0.0166…: 0.02.
    const [directLine] = await snapshotLines(direct);
    expect(directLine).toMatchObject({ resourceId: ofDirect.snapshotId, quantity: '0.333333', amount: '0.02' });
    for (const line of [customerLine, directLine]) expect(productMinor(line.quantity, line.unitPrice, 'EUR')).toBe(productMinor('1', line.amount, 'EUR'));
  });
});
