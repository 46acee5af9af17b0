import { randomUUID } from 'node:crypto';
import type pg from 'pg';
import { DeliverPolicy, jetstream, jetstreamManager } from '@nats-io/jetstream';
import { AppError, MONTH_CSV_BATCH, PLATFORM_SCOPE, SYSTEM_ACTOR, type BackupEvents, type BillingRequests, type ComputeEvents, type EventEnvelope, type InvoiceLineView, type InvoiceView, type RequestOf, type Scope } from '#libs/contracts';
import { createPool, decideInTransaction, EventStore } from '#libs/event-store';
import type { ServiceClient } from '#libs/messaging';
import {
  connectServiceClient, connectTestNats, createServiceDatabase, failureOf, eventEnvelope, publishEvent, runBuilt, TEST_NATS_URL, uniqueName, waitFor,
  consumerAcknowledged, type Fixture, type ServiceDatabase, type TestNats, type TestServiceClient } from '#libs/testing';
import { freePort } from '../../../../scripts/embedded-servers.js';
import { createStripeClient } from '../stripe/stripe-client.js';
import { signStripeWebhook, startFakeStripeServer, type FakeStripe } from '../../test/fake-stripe-server.js';
import { Dunning } from '../accounts/dunning.js';
import { billingEventStore } from '../billing.event-store.js';
import { productMinor } from '../money/money.js';
import { Metering } from '../metering/metering.js';
import { priceListStreamId } from '../prices/price-list.decider.js';
import { numberPrefix } from './invoice-finalization.js';
import { invoiceDecider, invoiceStreamId } from './invoice.decider.js';
import { InvoicesRepository } from './invoices.repository.js';

const DIRECT_EMAIL = 'billing@direct.example';
const WEBHOOK_SECRET = 'whsec_awan_test';

/** Shuffles deterministically, so a failure replays the same order. */
function shuffled<T>(items: T[], seed = 7): T[] {
  const out = [...items];
  for (let i = out.length - 1; i > 0; i--) {
    seed = (seed * 16_807) % 2_147_483_647;
    const j = seed % (i + 1);
    [out[i], out[j]] = [out[j], out[i]];
  }
  return out;
}

/** An instance's events as compute's relay publishes them, compute's own requests in between (billing skips them). */
function instanceHistory(accountId: string, planId: string, billingCycle: 'HOURLY' | 'MONTHLY', steps: [string, string, unknown?][]): EventEnvelope[] {
  const instanceId = randomUUID();
  const streamId = `instance-${instanceId}`;
  const [requestedAt] = steps[0];
  const request = { instanceId, accountId, name: uniqueName('web-'), kind: 'CONTAINER', imageId: 'img', planId, regionId: 'local', billingCycle };
  return [
    eventEnvelope(streamId, 'InstanceRequested', 1, request, requestedAt),
    ...steps.map(([at, type, data], i) => eventEnvelope(streamId, type, i + 2, data ?? (type === 'InstanceScheduled' ? { hostId: 'h1' } : {}), at)),
  ];
}

/** A backup of an instance (its InstanceRequested) on the backup's own stream, taken at `at` and written whole `sizeMb`, then `steps`. */
function backupHistory(instance: EventEnvelope, at: string, sizeMb: number | null, steps: [string, keyof BackupEvents, unknown?][] = []): EventEnvelope[] {
  const backupId = randomUUID();
  const streamId = `backup-${backupId}`;
  const { instanceId, accountId, regionId, kind, planId, imageId, billingCycle, name } = instance.data as ComputeEvents['InstanceRequested'];
  const request: BackupEvents['BackupRequested'] = { backupId, instanceId, accountId, regionId, kind, planId, imageId, billingCycle, instanceName: name, scheduled: false };
  const done = sizeMb === null ? [] : [[at, 'BackupCreated', { backupId, sizeMb }] as const];
  return [
    eventEnvelope(streamId, 'BackupRequested', 1, request, at),
    ...[...done, ...steps].map(([when, type, data], i) => eventEnvelope(streamId, type, i + 2, { backupId, ...(data as object | undefined) }, when)),
  ];
}

const sleep = (ms: number) => new Promise((resolve) => setTimeout(resolve, ms));
/** The line adds up as the contract says: quantity × unitPrice, rounded half-even to the minor unit, is its amount. */
const addsUp = (line: InvoiceLineView, currency: string) => productMinor(line.quantity, line.unitPrice, currency) === productMinor('1', line.amount, currency);

/**
 * The billing service as a built process on its own database, fed the events identity, compute
 * and network would publish (this test stands in for them), and a fake of Stripe's API.
 */
describe('billing: metering, invoices, resellers, Stripe and dunning', () => {
  let database: ServiceDatabase;
  let caller: TestServiceClient;
  let client: ServiceClient;
  let nats: TestNats;
  let stripe: FakeStripe;
  let billing: Fixture;
  let port: number;
  const reseller = { id: randomUUID(), name: 'Acme Hosting' };
  const customer = { id: randomUUID(), name: 'Cafe Blue' };
  const direct = { id: randomUUID(), name: 'Direct Ltd' };
  const admin: Scope = { accountIds: PLATFORM_SCOPE };
  const tree: Scope = { accountIds: [reseller.id, customer.id] };
  /** The direct customer's VM, MONTHLY from 16 September. */
  let vm: EventEnvelope[];
  const call = <S extends keyof BillingRequests>(subject: S, request: RequestOf<S>) => client.call(subject, request, 30_000);
  const invoicesOf = (accountId: string) => call('billing.invoice.list', { ...admin, accountId }).then((p) => p.edges.map((e) => e.node));
  const septemberInvoice = async (accountId: string) => (await invoicesOf(accountId)).find((i) => i.periodStart === '2026-09-01T00:00:00.000Z')!;
  const publishAll = async (service: string, events: EventEnvelope[]) => {
    for (const event of events) await publishEvent(nats.nats, service, event);
  };
  /** A new customer of the platform's, in EUR, once billing knows it. */
  const directCustomer = async (name: string) => {
    const account = { id: randomUUID(), name };
    await publishAll('identity', [
      eventEnvelope(`account-${account.id}`, 'AccountCreated', 1, { accountId: account.id, name, kind: 'CUSTOMER', parentId: null, currency: 'EUR', taxRate: '0' }),
    ]);
    await waitFor(() => call('billing.price.list', { ...admin, accountId: account.id }).then(() => true, () => false), 30_000, `billing to learn ${name}`);
    return account;
  };
  /** A container of the account's running from 08:00 to 10:00 of `day`. */
  const twoHoursOn = (accountId: string, day: string) => instanceHistory(accountId, 'ct-512m', 'HOURLY', [
    [`${day}T07:59:58Z`, 'InstanceScheduled'], [`${day}T08:00:00Z`, 'InstanceStarted'], [`${day}T10:00:00Z`, 'InstanceDeleted'],
  ]);

  const account = (a: { id: string; name: string }, kind: string, parentId: string | null, currency: string, taxRate: string, email?: string) =>
    eventEnvelope(`account-${a.id}`, 'AccountCreated', 1, { accountId: a.id, name: a.name, kind, parentId, currency, taxRate, ...(email ? { email } : {}) });
  /** A reseller's first price (in EUR), in force since `since`: what billing.price.set, which prices from now on, cannot date. */
  const firstPriceSince = async (ownerId: string, sku: string, price: { hourly: string; monthly: string }, since: string) => {
    const pool = createPool(database.url, { schema: billingEventStore.service, max: 1 });
    try {
      await new EventStore(pool, billingEventStore.service, billingEventStore.projections).append(
        priceListStreamId(ownerId, 'EUR'),
        [{ type: 'PriceSet', data: { ownerId, currency: 'EUR', sku, ...price, stoppedHourly: null, stoppedMonthly: null } }],
        { expectedVersion: 0, occurredAt: new Date(since), metadata: { correlationId: randomUUID(), causationId: null, actor: SYSTEM_ACTOR } },
      );
    } finally {
      await pool.end();
    }
  };

  /**
   * `inReplica` in another replica's transaction, left open while `meanwhile` starts here: `meanwhile`
   * must wait for that commit (still waiting a second later), and its answer once it has is returned.
   * Both are given the replica's pool, of billing's own parts, to build what they run on.
   */
  async function whileAnotherReplicaCommits<T>(inReplica: (tx: pg.PoolClient, pool: pg.Pool) => Promise<unknown>, meanwhile: (pool: pg.Pool) => Promise<T>): Promise<T> {
    const pool = createPool(database.url, { schema: billingEventStore.service, max: 2 });
    const replica = await pool.connect();
    try {
      await replica.query('BEGIN');
      await inReplica(replica, pool);
      const answer = meanwhile(pool);
      expect(await Promise.race([answer.then(() => 'answered'), sleep(1000).then(() => 'waiting')])).toBe('waiting');
      await replica.query('COMMIT');
      return await answer;
    } finally {
      await replica.query('ROLLBACK').catch(() => undefined);
      replica.release();
      await pool.end();
    }
  }

  beforeAll(async () => {
    database = await createServiceDatabase('awan_billing_');
    caller = await connectServiceClient('billing-test');
    client = caller.client;
    nats = await connectTestNats();
    stripe = await startFakeStripeServer();
    port = await freePort();
    billing = runBuilt('dist/apps/billing/src/main.js', {
      DATABASE_URL: database.url, NATS_URL: TEST_NATS_URL, PORT: String(port),
      STRIPE_SECRET_KEY: 'sk_test_awan', STRIPE_API_BASE: stripe.url, STRIPE_WEBHOOK_SECRET: WEBHOOK_SECRET,
      DUNNING_GRACE_SECONDS: '2', BILLING_JOB_INTERVAL_MS: '500', LOG_FORMAT: 'json',
      // The job's dunning clock runs every 500 ms, but it closes no month the test works in: the test
      // closes September itself, and a job closing October after the late usage below would move
      // that usage's adjustments from the upcoming invoices to October's drafts, at a moment of its choosing.
      INVOICE_CLOSE_AFTER_MINUTES: String(120 * 24 * 60),
    });
    await waitFor(() => client.call('billing.health', {}, 1000).then(() => true, () => false), 30_000, `billing to answer\n${billing.output()}`);
    await publishAll('identity', [
      account(reseller, 'RESELLER', null, 'EUR', '0.19'),
      account(customer, 'CUSTOMER', reseller.id, 'EUR', '0.19'),
      account(direct, 'CUSTOMER', null, 'USD', '0', DIRECT_EMAIL),
    ]);
    await waitFor(() => call('billing.price.list', { ...tree, accountId: customer.id }).then(() => true, () => false), 30_000, 'billing to learn the accounts');
    // The reseller's price list as it was before this test: ct-512m at 0.01 an hour since August.
    await firstPriceSince(reseller.id, 'ct-512m', { hourly: '0.01', monthly: '5.00' }, '2026-08-01T00:00:00Z');
  }, 120_000);

  afterAll(async () => {
    billing?.child.kill('SIGTERM');
    await billing?.exited;
    await stripe?.close();
    await nats?.close();
    await caller?.close();
    await database?.drop();
  }, 60_000);

  it('invoices a month of usage at the reseller\'s and the platform\'s prices in force then, however the events arrive', async () => {
    // The reseller raises its price today: September stays at the 0.01 in force then.
    const price = await call('billing.price.set', { ...tree, input: { accountId: reseller.id, planId: 'ct-512m', hourlyPrice: '0.0200', monthlyPrice: '12.00' } });
    expect(price).toMatchObject({ hourlyPrice: '0.02', ownerId: reseller.id, currency: 'EUR' });
    // A request that does not say whose it is is refused, never answered with everyone's.
    expect(await failureOf<AppError>(client.call('billing.invoice.list', {} as RequestOf<'billing.invoice.list'>))).toMatchObject({ code: 'FORBIDDEN' });
    expect(await failureOf<AppError>(call('billing.price.set', { accountIds: [customer.id], input: { planId: 'ct-512m', hourlyPrice: '0', monthlyPrice: '0', currency: 'EUR' } }))).toMatchObject({ code: 'FORBIDDEN' });
    expect(await failureOf<AppError>(call('billing.price.set', { ...tree, input: { accountId: reseller.id, planId: 'ct-512m', hourlyPrice: '0.1.0', monthlyPrice: '5' } }))).toMatchObject({
      code: 'BAD_USER_INPUT', message: expect.stringContaining('input.hourlyPrice'),
    });

    // From its start, 48 hours less 5 s, 24 of them stopped (billed in full by default): 47.998611 h × 0.01 EUR at the reseller's price then.
    const container = instanceHistory(customer.id, 'ct-512m', 'HOURLY', [
      ['2026-09-10T10:00:00Z', 'InstanceScheduled'], ['2026-09-10T10:00:05Z', 'InstanceStarted'], ['2026-09-10T20:00:05Z', 'InstanceStopRequested'],
      ['2026-09-10T20:00:05Z', 'InstanceStopped'], ['2026-09-11T20:00:05Z', 'InstanceStarted'], ['2026-09-12T10:00:00Z', 'InstanceDeleted'],
    ]);
    // Deleted before it ever ran: it costs nothing, not even the minimum.
    const neverRan = instanceHistory(customer.id, 'ct-512m', 'HOURLY', [['2026-09-05T10:00:00Z', 'InstanceScheduled'], ['2026-09-05T10:00:30Z', 'InstanceDeleted']]);
    // Half of September on a MONTHLY plan (6.00 USD a month), still running.
    vm = instanceHistory(direct.id, 'vm-1g', 'MONTHLY', [['2026-09-16T00:00:00Z', 'InstanceScheduled'], ['2026-09-16T00:01:00Z', 'InstanceStarted']]);
    // A floating IPv4 for 15 days (360 h × 0.0015, under the 1.00 cap) and an instance's own address (in its plan).
    const floatingId = randomUUID();
    const ipEvent = (ipId: string, floating: boolean, version: number, type: string, at: string) =>
      eventEnvelope(`ip-${ipId}`, type, version, type === 'IpAllocated'
        ? { ipId, address: '198.51.100.7', family: 'IPV4', regionId: 'local', accountId: direct.id, floating, poolId: 'p', prefixLength: 24, gateway: '198.51.100.1' }
        : { ipId }, at);
    const ownId = randomUUID();
    const ips = [
      ipEvent(floatingId, true, 1, 'IpAllocated', '2026-09-01T00:00:00Z'), ipEvent(floatingId, true, 2, 'IpReleased', '2026-09-16T00:00:00Z'),
      ipEvent(ownId, false, 1, 'IpAllocated', '2026-09-16T00:00:00Z'),
    ];
    // Out of order, and each event twice (the repeat past JetStream's duplicate window, as after a relay's crash).
    for (const event of shuffled([...container, ...neverRan, ...vm])) {
      await publishEvent(nats.nats, 'compute', event);
      await publishEvent(nats.nats, 'compute', event, randomUUID());
    }
    for (const event of shuffled(ips)) {
      await publishEvent(nats.nats, 'network', event);
      await publishEvent(nats.nats, 'network', event, randomUUID());
    }

    const closed = await waitFor(async () => {
      await call('billing.invoice.closeMonth', { ...admin, month: '2026-09' });
      const drafts = await Promise.all([customer.id, reseller.id, direct.id].map(septemberInvoice));
      // Each read once every event is metered: the three are read at once, so the reseller's may be rated a moment before the customer's.
      return drafts.every((d) => d) && drafts[0].total === '0.57' && drafts[1].total === '0.17' && drafts[2].total === '3.54' ? drafts : undefined;
    }, 60_000, `the September drafts\n${billing.output().slice(-3000)}`);
    const [ofCustomer, ofReseller, ofDirect] = closed;

    expect(ofCustomer).toMatchObject({ status: 'DRAFT', number: null, issuerId: reseller.id, currency: 'EUR', subtotal: '0.48', tax: '0.09', total: '0.57' });
    expect(ofCustomer.lines).toHaveLength(1);
    const line = ofCustomer.lines[0];
    expect(line).toMatchObject({ resourceId: container[0].streamId.slice(9), sku: 'ct-512m', quantity: '47.998611', unit: 'hour', unitPrice: '0.01', amount: '0.48' });
    // Every segment names its plan and the events that opened and closed it: billing starts at the first start.
    const byType = new Map(container.map((e) => [e.eventId, e.type]));
    expect(line.usage.map((u) => [u.sku, u.state, u.seconds, byType.get(u.openedBy), byType.get(u.closedBy!)])).toEqual([
      ['ct-512m', 'RUNNING', 36_000, 'InstanceStarted', 'InstanceStopped'],
      ['ct-512m', 'STOPPED', 86_400, 'InstanceStopped', 'InstanceStarted'],
      ['ct-512m', 'RUNNING', 50_395, 'InstanceStarted', 'InstanceDeleted'],
    ]);

    // The reseller pays the platform's price (2.00/672 → 0.0030 an hour) for its customer's container, on a line of its own.
    expect(ofReseller).toMatchObject({ issuerId: 'platform', currency: 'EUR', subtotal: '0.14', tax: '0.03', total: '0.17' });
    expect(ofReseller.lines).toEqual([expect.objectContaining({ accountId: customer.id, amount: '0.14', description: expect.stringContaining('Cafe Blue: ') })]);

    expect(ofDirect).toMatchObject({ issuerId: 'platform', currency: 'USD', subtotal: '3.54', tax: '0.00', total: '3.54' });
    expect(ofDirect.lines.map((l) => [l.resourceType, l.unit, l.amount]).sort()).toEqual([['INSTANCE', 'month', '3.00'], ['IPV4', 'hour', '0.54']]);
    for (const invoice of closed) for (const l of invoice.lines) expect([l.description, addsUp(l, invoice.currency)]).toEqual([l.description, true]);

    // Another tenant's invoice does not exist for it.
    expect(await failureOf<AppError>(call('billing.invoice.get', { accountIds: [direct.id], id: ofCustomer.id }))).toMatchObject({ code: 'NOT_FOUND' });
    // Closing the month again drafts nothing more.
    expect(await call('billing.invoice.closeMonth', { ...admin, month: '2026-09' })).toMatchObject({ drafted: 0 });
  });

  it('finalizes with gapless numbers per issuer, never changes a finalized invoice, and bills late usage as an adjustment', async () => {
    const [ofCustomer, ofReseller, ofDirect] = await Promise.all([customer.id, reseller.id, direct.id].map(septemberInvoice));
    const finalized = await call('billing.invoice.finalize', { ...tree, id: ofCustomer.id });
    expect(finalized).toMatchObject({ status: 'FINALIZED', number: `${numberPrefix(reseller)}-2026-000001`, total: '0.57', issuedAt: expect.any(String) });
    const platformNumbers = [
      (await call('billing.invoice.finalize', { ...admin, id: ofReseller.id })).number!,
      (await call('billing.invoice.finalize', { ...admin, id: ofDirect.id })).number!,
    ];
    expect(platformNumbers[0]).toMatch(/^AWN-2026-\d{6}$/);
    expect(Number(platformNumbers[1].slice(-6))).toBe(Number(platformNumbers[0].slice(-6)) + 1);
    expect(await failureOf<AppError>(call('billing.invoice.finalize', { ...tree, id: ofCustomer.id }))).toMatchObject({ code: 'CONFLICT' });

    // Two hours of September usage arrive after the invoice was finalized.
    await publishAll('compute', twoHoursOn(customer.id, '2026-09-20'));
    const upcoming = await waitFor(async () => {
      const invoice = await call('billing.invoice.upcoming', { ...tree, accountId: customer.id });
      // Until the deletion arrives too, the late instance is still running in September.
      return invoice.lines.some((l) => l.description.startsWith('Adjustment for September 2026') && l.amount === '0.02') ? invoice : undefined;
    }, 30_000, 'the late usage on the upcoming invoice');
    expect(upcoming.lines.find((l) => l.description.startsWith('Adjustment'))).toMatchObject({ amount: '0.02', periodStart: '2026-09-01T00:00:00.000Z' });
    expect(await call('billing.invoice.get', { ...tree, id: ofCustomer.id })).toEqual(finalized);
    const resellerUpcoming = await call('billing.invoice.upcoming', { ...tree, accountId: reseller.id });
    expect(resellerUpcoming.lines.find((l) => l.description.startsWith('Adjustment'))).toMatchObject({ amount: '0.01' });

    // The direct customer's VM was resized on 23 September, and the event comes late: 7 days less a minute of vm-1g
    // (6.00 USD a month: 1.40) and 8 of vm-2g (12.00: 3.20) instead of the 3.00 invoiced. The invoiced line is taken
    // back and the month billed again, each line adding up.
    await publishEvent(nats.nats, 'compute', eventEnvelope(vm[0].streamId, 'InstanceResized', 4, { fromPlanId: 'vm-1g', toPlanId: 'vm-2g' }, '2026-09-23T00:00:00Z'));
    const adjusted = await waitFor(async () => {
      const invoice = await call('billing.invoice.upcoming', { ...admin, accountId: direct.id });
      const lines = invoice.lines.filter((l) => l.description.startsWith('Adjustment for September 2026'));
      return lines.length === 3 ? lines : undefined;
    }, 30_000, 'the resize as an adjustment');
    expect(adjusted.map((l) => [l.sku, l.quantity, l.unit, l.unitPrice, l.amount])).toEqual([
      ['vm-1g', '-0.499977', 'month', '6.00', '-3.00'],
      ['vm-1g', '0.233310', 'month', '6.00', '1.40'],
      ['vm-2g', '0.266667', 'month', '12.00', '3.20'],
    ]);
    for (const line of adjusted) expect(addsUp(line, 'USD')).toBe(true);

    // An account September closed without (its usage came after the close) is billed for it on its next invoice.
    const lateComer = await directCustomer('Late Comer');
    await publishAll('compute', twoHoursOn(lateComer.id, '2026-09-20'));
    // All three metered: an invoice asked for between its start and its delete bills it running to the month's end.
    await consumerAcknowledged(nats.nats, 'compute', 'billing-instances');
    const lateLines = await waitFor(async () => {
      const lines = (await call('billing.invoice.upcoming', { ...admin, accountId: lateComer.id })).lines.filter((l) => l.description.startsWith('Adjustment for September 2026'));
      return lines.length > 0 ? lines : undefined;
    }, 30_000, "the late comer's September on its next invoice");
    expect(lateLines.map((l) => [l.sku, l.quantity, l.amount])).toEqual([['ct-512m', '2.000000', '0.01']]);
  });

  it('issues credit notes up to what is left, marks paid, refuses to void a paid invoice, and exports CSV', async () => {
    const invoice = await septemberInvoice(customer.id);
    expect(await failureOf<AppError>(call('billing.creditNote.issue', { ...tree, input: { invoiceId: invoice.id, amount: '0.58', reason: 'goodwill' } }))).toMatchObject({
      code: 'BAD_USER_INPUT', message: expect.stringContaining('input.amount'),
    });
    const note = await call('billing.creditNote.issue', { ...tree, input: { invoiceId: invoice.id, amount: '0.50', reason: 'goodwill' } });
    expect(note).toMatchObject({ number: `${numberPrefix(reseller)}-CN-2026-000001`, amount: '0.50', currency: 'EUR' });
    expect(await failureOf<AppError>(call('billing.creditNote.issue', { ...tree, input: { invoiceId: invoice.id, amount: '0.08', reason: 'more' } }))).toMatchObject({
      code: 'BAD_USER_INPUT', message: expect.stringContaining('0.07 EUR left'),
    });

    const paid = await call('billing.invoice.markPaid', { ...tree, id: invoice.id, reference: 'bank-2026-10-04-17' });
    expect(paid).toMatchObject({ status: 'PAID', paymentReference: 'bank-2026-10-04-17', paidAt: expect.any(String), creditNotes: [expect.objectContaining({ id: note.id })] });
    expect(await failureOf<AppError>(call('billing.invoice.void', { ...tree, id: invoice.id, reason: 'oops' }))).toMatchObject({ code: 'CONFLICT' });

    const { csv } = await call('billing.invoice.csv', { ...tree, id: invoice.id });
    const [header, row] = csv.trim().split('\r\n');
    expect(header.split(',')).toEqual(expect.arrayContaining(['invoice_number', 'line_id', 'description', 'amount', 'invoice_total']));
    expect(row).toContain(paid.number!);
    expect(row).toContain(',0.48,');
    // One invoice's CSV is its rows as the month's export gives them.
    expect((await call('billing.invoice.csvRows', { ...tree, ids: [invoice.id], header: true })).csv).toBe(csv);
    // A month's CSV: its invoices' ids in the tree, numbered first, then their rows a batch at a time.
    const { ids } = await call('billing.invoice.monthIds', { ...tree, month: '2026-09' });
    const september = await Promise.all([reseller.id, customer.id].map(septemberInvoice));
    expect(new Set(ids)).toEqual(new Set(september.map((invoice) => invoice.id))); // the reseller's tree only
    expect(ids[0]).toBe(invoice.id);
    const { csv: whole } = await call('billing.invoice.csvRows', { ...tree, ids, header: true });
    expect(whole.startsWith(`${header}\r\n`)).toBe(true);
    expect(whole).toContain(paid.number!);
    expect(whole).not.toContain(direct.id);
    const batches = await Promise.all(ids.map((id, index) => call('billing.invoice.csvRows', { ...tree, ids: [id], header: index === 0 })));
    expect(batches.map((batch) => batch.csv).join('')).toBe(whole);
    // An invoice outside the caller's scope is left out; a batch too large, or not of ids, names the field.
    const directInvoice = await septemberInvoice(direct.id);
    expect((await call('billing.invoice.csvRows', { ...tree, ids: [directInvoice.id], header: false })).csv).toBe('');
    expect(await failureOf<AppError>(call('billing.invoice.csvRows', { ...tree, ids: Array(MONTH_CSV_BATCH + 1).fill(invoice.id), header: false }))).toMatchObject({
      code: 'BAD_USER_INPUT', field: 'ids',
    });
    for (const id of ['1; DROP TABLE invoices', '-'.repeat(36)]) {
      expect(await failureOf<AppError>(call('billing.invoice.csvRows', { ...tree, ids: [id], header: false }))).toMatchObject({ code: 'BAD_USER_INPUT', field: 'ids' });
    }
    expect(await failureOf<AppError>(call('billing.invoice.monthIds', { ...tree, month: 'September' }))).toMatchObject({ code: 'BAD_USER_INPUT', field: 'month' });
  });

  it('pushes platform invoices to Stripe once, verifies webhooks, suspends an unpaid account and reinstates it once paid', async () => {
    const invoice = await septemberInvoice(direct.id);
    const pushed = await waitFor(() => stripe.objects('invoices').find((i) => (i.metadata as Record<string, string>)?.awan_invoice_id === invoice.id && i.status !== 'draft'), 60_000, `the push of ${invoice.number}\n${billing.output().slice(-2000)}`);
    expect(stripe.objects('invoiceitems').filter((i) => i.invoice === pushed.id).map((i) => i.amount).sort()).toEqual([300, 54]);
    expect(stripe.objects('invoices').filter((i) => (i.metadata as Record<string, string>)?.awan_invoice_id === invoice.id)).toHaveLength(1);
    // Stripe sends the invoice to the account's email: without one it goes to no one.
    expect(stripe.objects('customers').find((c) => c.id === pushed.customer)).toMatchObject({ email: DIRECT_EMAIL });
    // A credit note finance issues reaches the invoice Stripe collects: less is due there too.
    const note = await call('billing.creditNote.issue', { ...admin, input: { invoiceId: invoice.id, amount: '0.50', reason: 'goodwill' } });
    await waitFor(() => stripe.objects('credit_notes').find((n) => (n.metadata as Record<string, string>).awan_credit_note_id === note.id), 30_000, 'the credit note in Stripe');
    expect(stripe.objects('invoices').find((i) => i.id === pushed.id)).toMatchObject({ total: 354, amount_remaining: 304 });

    const sdk = createStripeClient('sk_test_awan', stripe.server);
    const webhook = (payload: string, signature: string) =>
      fetch(`http://127.0.0.1:${port}/stripe/webhook`, { method: 'POST', headers: { 'content-type': 'application/json', 'stripe-signature': signature }, body: payload });
    const event = (type: string) => JSON.stringify({ id: `evt_${randomUUID()}`, object: 'event', type, data: { object: { ...pushed, object: 'invoice' } } });
    expect((await webhook(event('invoice.paid'), 't=1,v1=forged')).status).toBe(400);
    expect((await call('billing.invoice.get', { ...admin, id: invoice.id })).status).toBe('FINALIZED');

    const jsm = await jetstreamManager(nats.nats);
    const standing = async () => {
      const consumer = await jsm.consumers.add('BILLING', { filter_subject: 'events.billing.account.>', deliver_policy: DeliverPolicy.All, inactive_threshold: 30_000_000_000 });
      const messages = await jetstream(nats.nats).consumers.get('BILLING', consumer.name);
      const types: string[] = [];
      const batch = await messages.fetch({ max_messages: 10_000, expires: 1000 });
      for await (const message of batch) {
        const e = message.json<EventEnvelope<string, { accountId: string }>>();
        if (e.data.accountId === direct.id && e.type.startsWith('Account')) types.push(e.type);
        if (message.info.pending === 0) break;
      }
      await jsm.consumers.delete('BILLING', consumer.name);
      return types;
    };
    const failed = event('invoice.payment_failed');
    expect((await webhook(failed, signStripeWebhook(sdk, failed, WEBHOOK_SECRET))).status).toBe(200);
    // PAST_DUE at once; SUSPENDED after the 2-second grace period (compute stops the instances on that event).
    const statusOf = async () => (await call('billing.account.standing', { ...admin, ids: [direct.id] }))[0].status;
    await waitFor(async () => (await statusOf()) === 'SUSPENDED', 30_000, 'the suspension');
    expect(await standing()).toEqual(['AccountPastDue', 'AccountSuspended']);
    // Each fact once in billing's log, with its ids, and how long the account was past due.
    const facts = () => billing.output().split('\n').filter((line) => line.startsWith('{')).map((line) => JSON.parse(line) as Record<string, unknown>)
      .filter((line) => line.context === 'billing' && (line.invoiceId === invoice.id || line.accountId === direct.id));
    await waitFor(() => facts().some((line) => line.msg === 'account suspended'), 10_000, 'the suspension in the log');
    expect(facts().map((line) => line.msg)).toEqual(['invoice finalized', 'payment failed', 'account past due', 'account suspended']);
    expect(facts()[0]).toMatchObject({ level: 'info', invoiceId: invoice.id, accountId: direct.id, number: invoice.number, currency: 'USD', total: invoice.total });
    expect(facts()[1]).toMatchObject({ level: 'info', invoiceId: invoice.id, accountId: direct.id, reason: expect.any(String) });
    expect(facts()[3]).toMatchObject({ level: 'info', accountId: direct.id, pastDueForMs: expect.any(Number) });
    expect(facts()[3].pastDueForMs).toBeGreaterThanOrEqual(2000); // DUNNING_GRACE_SECONDS

    const paid = event('invoice.paid');
    expect((await webhook(paid, signStripeWebhook(sdk, paid, WEBHOOK_SECRET))).status).toBe(200);
    expect((await webhook(paid, signStripeWebhook(sdk, paid, WEBHOOK_SECRET))).status).toBe(200); // Stripe delivers at least once
    await waitFor(async () => (await statusOf()) === 'ACTIVE', 30_000, 'the reinstatement');
    await waitFor(async () => ((await standing()).join() === 'AccountPastDue,AccountSuspended,AccountReinstated' ? true : undefined), 30_000, 'AccountReinstated published');
    expect(await call('billing.invoice.get', { ...admin, id: invoice.id })).toMatchObject({ status: 'PAID', paymentReference: `stripe:${pushed.id}` });
  });
  it('rates each second at the price in force then: a line per plan and price, each adding up, the platform\'s price before the reseller set one', async () => {
    const setPrice = async (hourlyPrice: string) => {
      const before = Date.now();
      await call('billing.price.set', { ...tree, input: { accountId: reseller.id, planId: 'ct-2g', hourlyPrice, monthlyPrice: '20000' } });
      return { before, after: Date.now() };
    };
    const at = (ms: number) => new Date(ms).toISOString();
    // Started on ct-2g while the reseller had no price for it: its customers paid the platform's (in force since
    // billing started, a second or more before). Each price holds for whole seconds before the next change.
    await sleep(1500);
    const startedAt = Date.now();
    await sleep(2000);
    const first = await setPrice('36.00');
    await sleep(3000);
    const raise = await setPrice('72.00');
    await sleep(4000);
    const resizedAt = Date.now() - 1000;
    const events = instanceHistory(customer.id, 'ct-2g', 'HOURLY', [
      [at(startedAt - 5000), 'InstanceScheduled'], [at(startedAt), 'InstanceStarted'],
      [at(resizedAt), 'InstanceResized', { fromPlanId: 'ct-2g', toPlanId: 'ct-4g' }], [at(Date.now()), 'InstanceDeleted'],
    ]);
    const instanceId = events[0].streamId.slice(9);
    await publishAll('compute', events);

    const linesOf = (invoice: InvoiceView) => invoice.lines.filter((l) => l.resourceId === instanceId);
    const upcoming = await waitFor(async () => {
      const invoice = await call('billing.invoice.upcoming', { ...tree, accountId: customer.id });
      // Resized and deleted: until the deletion is metered too, its last segment is open and rated up to now.
      return linesOf(invoice).some((l) => l.sku === 'ct-4g' && l.usage.every((u) => u.endedAt !== null)) ? invoice : undefined;
    }, 30_000, 'the resized and deleted instance on the upcoming invoice');
    const lines = linesOf(upcoming);
    // 8.00 / 672 and 16.00 / 672 a month are the platform's 0.0119 and 0.0238 an hour.
    expect(lines.map((l) => [l.sku, l.unitPrice])).toEqual([['ct-2g', '0.0119'], ['ct-2g', '36.00'], ['ct-2g', '72.00'], ['ct-4g', '0.0238']]);
    for (const line of lines) {
      expect([line.unit, addsUp(line, 'EUR')]).toEqual(['hour', true]);
      expect(line.usage.every((u) => u.sku === line.sku)).toBe(true);
    }
    const seconds = lines.map((l) => l.usage.reduce((sum, u) => sum + u.seconds, 0));
    // The 36.00 an hour held from the second after it was set to the second after the raise: what was used then stays at it.
    expect(seconds[1]).toBeGreaterThanOrEqual(Math.floor((raise.before - first.after) / 1000));
    expect(seconds[1]).toBeLessThanOrEqual(Math.ceil((raise.after - first.before) / 1000) + 1);
    expect(seconds.reduce((a, b) => a + b, 0)).toBe(Math.floor(Date.parse(events.at(-1)!.occurredAt) / 1000) - Math.floor(startedAt / 1000));
    // Its cost to date is what its lines add up to.
    const [cost] = await call('billing.resource.costsToDate', { ...tree, resourceIds: [instanceId] });
    expect(productMinor('1', cost.amount, 'EUR')).toBe(lines.reduce((sum, l) => sum + productMinor('1', l.amount, 'EUR'), 0n));

    // The platform bills the reseller for it at the platform's prices, whatever the reseller charges.
    const ofReseller = await call('billing.invoice.upcoming', { ...tree, accountId: reseller.id });
    expect(linesOf(ofReseller).map((l) => [l.sku, l.unitPrice])).toEqual([['ct-2g', '0.0119'], ['ct-4g', '0.0238']]);
  });

  it("answers an HOURLY instance's cost to date at its monthly cap once it has run past it (the cap's line is negative)", async () => {
    const seller = { id: randomUUID(), name: 'Capped Hosting' };
    const buyer = { id: randomUUID(), name: 'Capped Customer' };
    await publishAll('identity', [account(seller, 'RESELLER', null, 'EUR', '0'), account(buyer, 'CUSTOMER', seller.id, 'EUR', '0')]);
    const scope: Scope = { accountIds: [seller.id, buyer.id] };
    await waitFor(() => call('billing.price.list', { ...scope, accountId: buyer.id }).then(() => true, () => false), 30_000, 'billing to learn the accounts');
    // A price no one could set through the API (a second's use costs more than the month): ten seconds cost the cap, 1.00.
    await firstPriceSince(seller.id, 'ct-512m', { hourly: '3600.00', monthly: '1.00' }, '2026-01-01T00:00:00Z');
    const tenSecondsAgo = new Date(Date.now() - 10_000).toISOString();
    const events = instanceHistory(buyer.id, 'ct-512m', 'HOURLY', [[tenSecondsAgo, 'InstanceScheduled'], [tenSecondsAgo, 'InstanceStarted']]);
    const instanceId = events[0].streamId.slice('instance-'.length);
    await publishAll('compute', events);
    const upcoming = await waitFor(async () => {
      const invoice = await call('billing.invoice.upcoming', { ...scope, accountId: buyer.id });
      return invoice.lines.some((l) => l.resourceId === instanceId && l.unit === 'cap') ? invoice : undefined;
    }, 30_000, 'the capped instance on the upcoming invoice');
    expect(upcoming.lines.filter((l) => l.resourceId === instanceId).map((l) => [l.unit, l.amount.startsWith('-')])).toEqual([['hour', false], ['cap', true]]);
    expect(await call('billing.resource.costsToDate', { ...scope, resourceIds: [instanceId] })).toEqual([{ resourceId: instanceId, amount: '1.00', currency: 'EUR' }]);
  });

  it('lists the plans an account can be billed for: its reseller\'s price, else the platform\'s, and only what the platform prices in its currency', async () => {
    await call('billing.price.set', { ...tree, input: { accountId: reseller.id, planId: 'custom-1', hourlyPrice: '1.00', monthlyPrice: '100.00' } });
    const list = await call('billing.price.list', { ...tree, accountId: customer.id });
    const bySku = new Map(list.map((p) => [p.sku, p]));
    expect(bySku.get('ct-2g')).toMatchObject({ ownerId: reseller.id, hourlyPrice: '72.00' });
    // A plan the reseller set no price for: its customers pay the platform's.
    expect(bySku.get('vm-1g')).toMatchObject({ ownerId: 'platform', hourlyPrice: '0.0089' });
    // A plan the platform has no price for in EUR cannot be billed to the reseller, so its customers cannot have it.
    expect(bySku.has('custom-1')).toBe(false);
    // The reseller's own list (its storefront's) is what each of its customers is answered.
    expect(await call('billing.price.ofReseller', { ...tree, resellerId: reseller.id })).toEqual(list);
    expect(await failureOf<AppError>(call('billing.price.ofReseller', { ...tree, resellerId: customer.id }))).toMatchObject({ code: 'BAD_USER_INPUT', message: expect.stringContaining('resellerId') });
    const platform = await call('billing.price.platform', { currency: 'EUR' });
    expect(platform.find((p) => p.sku === 'ct-2g')).toMatchObject({ ownerId: 'platform', hourlyPrice: '0.0119', currency: 'EUR' });
    expect(await failureOf<AppError>(call('billing.price.platform', { currency: 'euro' }))).toMatchObject({ code: 'BAD_USER_INPUT', message: expect.stringContaining('currency') });

    expect(await call('billing.price.currencies', {})).toEqual(['EUR', 'USD']);
    await call('billing.price.set', { ...admin, input: { planId: 'ct-512m', currency: 'GBP', hourlyPrice: '0.0025', monthlyPrice: '1.70' } });
    expect(await call('billing.price.currencies', {})).toEqual(['EUR', 'GBP', 'USD']);
    expect(await failureOf<AppError>(call('billing.price.set', { ...admin, input: { planId: 'ct-1g', currency: 'GBP', hourlyPrice: '2.00', monthlyPrice: '1.99' } }))).toMatchObject({
      code: 'BAD_USER_INPUT', message: expect.stringContaining('input.monthlyPrice'),
    });
  });

  it('refuses to finalize, pay, void or credit the running month\'s invoice before the month ends, naming when it ends', async () => {
    const upcoming = await call('billing.invoice.upcoming', { ...tree, accountId: customer.id });
    const ends = upcoming.periodEnd;
    expect(await failureOf<AppError>(call('billing.invoice.finalize', { ...tree, id: upcoming.id }))).toMatchObject({
      code: 'CONFLICT', message: `cannot finalize the invoice of ${upcoming.periodStart.slice(0, 7)} before its month ends, at ${ends}`,
    });
    const changes = [
      () => call('billing.invoice.markPaid', { ...tree, id: upcoming.id, reference: 'r' }),
      () => call('billing.invoice.void', { ...tree, id: upcoming.id, reason: 'r' }),
      () => call('billing.creditNote.issue', { ...tree, input: { invoiceId: upcoming.id, amount: '0.01', reason: 'r' } }),
    ];
    for (const change of changes) {
      expect(await failureOf<AppError>(change())).toMatchObject({ code: 'CONFLICT', message: expect.stringContaining(ends) });
    }
    // Nothing was invoiced: the month's usage is still the upcoming invoice's, under the same id.
    expect(await call('billing.invoice.get', { ...tree, id: upcoming.id })).toMatchObject({ id: upcoming.id, status: 'DRAFT', number: null });
    expect((await invoicesOf(customer.id)).map((i) => i.periodStart)).toEqual(['2026-09-01T00:00:00.000Z']);
  });

  it("bills a backup's storage per GB-month to the backup's account from created to deleted, its instance deleted or not, at the reseller's storage price for its customers", async () => {
    const price = await call('billing.price.setStorage', { ...tree, input: { accountId: reseller.id, sku: 'backup-storage', monthlyPrice: '100.00' } });
    expect(price).toMatchObject({ sku: 'backup-storage', ownerId: reseller.id, currency: 'EUR', monthlyPrice: '100.00' });
    for (const [input, field] of [[{ sku: 'backups', monthlyPrice: '0.05' }, 'input.sku'], [{ sku: 'backup-storage', monthlyPrice: 'cheap' }, 'input.monthlyPrice']] as const) {
      expect(await failureOf<AppError>(call('billing.price.setStorage', { ...tree, input: { accountId: reseller.id, ...input } }))).toMatchObject({
        code: 'BAD_USER_INPUT', message: expect.stringContaining(field),
      });
    }
    expect(await failureOf<AppError>(call('billing.price.setStorage', { accountIds: [customer.id], input: { currency: 'EUR', sku: 'backup-storage', monthlyPrice: '0' } }))).toMatchObject({ code: 'FORBIDDEN' });

    // Usage from the second after the price was set (it is in force from then), second by second until now.
    await sleep(1500);
    const start = Math.floor(Date.now() / 1000);
    await sleep(6000);
    const at = (second: number) => new Date((start + second) * 1000).toISOString();
    // The customer's instance is backed up (16 TB), then deleted: the backup stays, billed to the customer. Another backup failed while taken.
    const instance = instanceHistory(customer.id, 'ct-512m', 'HOURLY', [[at(0), 'InstanceScheduled'], [at(0), 'InstanceStarted'], [at(3), 'InstanceDeleted']]);
    const kept = backupHistory(instance[0], at(1), 16_777_216);
    const failed = backupHistory(instance[0], at(1), null, [[at(2), 'BackupFailed', { reason: 'the agent went away' }]]);
    // The direct customer's backup, deleted 4 seconds after it was written: billed at the platform's price in USD.
    const directInstance = instanceHistory(direct.id, 'vm-1g', 'MONTHLY', [[at(0), 'InstanceScheduled'], [at(0), 'InstanceStarted']]);
    const deleted = backupHistory(directInstance[0], at(1), 16_777_216, [[at(4), 'BackupDeletionRequested'], [at(5), 'BackupDeleted']]);
    // Out of order, each twice, on compute's subjects (events.compute.backup.* and events.compute.instance.*).
    for (const event of shuffled([...instance, ...kept, ...failed, ...directInstance, ...deleted])) {
      await publishEvent(nats.nats, 'compute', event);
      await publishEvent(nats.nats, 'compute', event, randomUUID());
    }

    const backupLines = (invoice: InvoiceView) => invoice.lines.filter((l) => l.resourceType === 'BACKUP');
    const idOf = (events: EventEnvelope[]) => events[0].streamId.slice('backup-'.length);
    const instanceId = instance[0].streamId.slice('instance-'.length);
    const ofCustomer = await waitFor(async () => {
      const invoice = await call('billing.invoice.upcoming', { ...tree, accountId: customer.id });
      const ended = invoice.lines.some((l) => l.resourceId === instanceId && l.usage.every((u) => u.endedAt !== null));
      return ended && backupLines(invoice).length > 0 ? invoice : undefined;
    }, 30_000, `the backup and its deleted instance on the customer's upcoming invoice\n${billing.output().slice(-2000)}`);
    const [line, ...others] = backupLines(ofCustomer);
    expect(others).toEqual([]); // the failed one held nothing
    expect(line).toMatchObject({ resourceId: idOf(kept), accountId: customer.id, sku: 'backup-storage', unit: 'GB-month', unitPrice: '100.00' });
    expect(line.description).toMatch(/^Backup of web-\w+ taken \d{4}-\d\d-\d\d \d\d:\d\d UTC, 16777216 MB \(backup-storage\) at 100\.00 a GB-month, /);
    // Stored on after its instance was deleted, to now: still the customer's.
    expect(line.usage).toEqual([expect.objectContaining({ state: 'STORED', startedAt: at(1), endedAt: null })]);
    expect(line.usage[0].seconds).toBeGreaterThan(2);
    expect([line.amount, addsUp(line, 'EUR')]).toEqual([expect.not.stringMatching(/^0\.00$/), true]);

    // The platform bills the reseller for it at its own price, 0.02.
    const ofReseller = await call('billing.invoice.upcoming', { ...tree, accountId: reseller.id });
    expect(backupLines(ofReseller)).toEqual([expect.objectContaining({ resourceId: idOf(kept), accountId: customer.id, unitPrice: '0.02' })]);

    const ofDirect = await waitFor(async () => {
      const invoice = await call('billing.invoice.upcoming', { ...admin, accountId: direct.id });
      return backupLines(invoice).find((l) => l.resourceId === idOf(deleted) && l.usage[0].endedAt !== null);
    }, 30_000, "the deleted backup on the direct customer's upcoming invoice");
    expect(ofDirect).toMatchObject({ sku: 'backup-storage', unit: 'GB-month', unitPrice: '0.02' });
    expect(ofDirect.usage).toEqual([expect.objectContaining({ seconds: 4, endedAt: at(5) })]);
    // 16,384 GB for 4 of the month's seconds, shown to six decimals, adds up to the amount.
    const month = new Date(start * 1000);
    const monthSeconds = (Date.UTC(month.getUTCFullYear(), month.getUTCMonth() + 1, 1) - Date.UTC(month.getUTCFullYear(), month.getUTCMonth(), 1)) / 1000;
    expect(Number(ofDirect.quantity)).toBeCloseTo((16_384 * 4) / monthSeconds, 5);
    expect(addsUp(ofDirect, 'USD')).toBe(true);
  });

  it('bills usage that commits while its invoice is being finalized on another replica: on the invoice, as its rating is done again', async () => {
    const racer = await directCustomer('Racer');
    // Two hours of August, then August's draft.
    await publishAll('compute', twoHoursOn(racer.id, '2026-08-10'));
    const draft = await waitFor(async () => {
      await call('billing.invoice.closeMonth', { ...admin, month: '2026-08' });
      const august = (await invoicesOf(racer.id)).find((i) => i.periodStart === '2026-08-01T00:00:00.000Z');
      return august?.total === '0.01' ? august : undefined;
    }, 30_000, "the racer's August draft");

    // Another replica meters four more hours of August, its transaction open while the draft is finalized here:
    // the finalize rates the draft without those hours, then waits for the change to commit.
    const finalized = await whileAnotherReplicaCommits(async (replica) => {
      const metering = new Metering();
      for (const event of instanceHistory(racer.id, 'ct-512m', 'HOURLY', [
        ['2026-08-20T07:59:58Z', 'InstanceScheduled'], ['2026-08-20T08:00:00Z', 'InstanceStarted'], ['2026-08-20T12:00:00Z', 'InstanceDeleted'],
      ])) await metering.record(event, replica);
    }, () => call('billing.invoice.finalize', { ...admin, id: draft.id }));
    expect(finalized.lines.map((l) => [l.sku, l.quantity, l.unit]).sort()).toEqual([['ct-512m', '2.000000', 'hour'], ['ct-512m', '4.000000', 'hour']]);
    expect(finalized).toMatchObject({ status: 'FINALIZED', total: '0.02' });
    // Billed once: nothing of August is late.
    const upcoming = await call('billing.invoice.upcoming', { ...admin, accountId: racer.id });
    expect(upcoming.lines.filter((l) => l.description.startsWith('Adjustment'))).toEqual([]);
  });

  it('leaves an account ACTIVE when a payment of its invoice fails while another replica marks it paid', async () => {
    const payer = await directCustomer('Payer');
    await publishAll('compute', twoHoursOn(payer.id, '2026-07-10'));
    const draft = await waitFor(async () => {
      await call('billing.invoice.closeMonth', { ...admin, month: '2026-07' });
      return (await invoicesOf(payer.id)).find((i) => i.periodStart === '2026-07-01T00:00:00.000Z' && i.total === '0.01');
    }, 30_000, "the payer's July draft");
    await call('billing.invoice.finalize', { ...admin, id: draft.id });

    // Another replica marks the invoice paid (a bank transfer), its transaction open while a card payment's failure is
    // recorded here: the failure waits for the payment to commit, to see the invoice as it then is.
    const metadata = { correlationId: randomUUID(), causationId: null, actor: SYSTEM_ACTOR };
    const dunningOn = (pool: pg.Pool) => {
      const store = new EventStore(pool, billingEventStore.service, billingEventStore.projections);
      return { store, dunning: new Dunning(pool, store, new InvoicesRepository(pool)) };
    };
    await whileAnotherReplicaCommits(async (replica, pool) => {
      const { store, dunning } = dunningOn(pool);
      await decideInTransaction(store, replica, invoiceStreamId(draft.id), invoiceDecider, { type: 'MarkInvoicePaid', reference: 'bank transfer 4711' }, metadata);
      await dunning.settle(replica, { id: draft.id, accountId: payer.id }, metadata);
    }, (pool) => dunningOn(pool).dunning.recordPaymentFailure(draft.id, 'card declined', metadata));
    expect(await call('billing.account.standing', { ...admin, ids: [payer.id] })).toEqual([{ accountId: payer.id, status: 'ACTIVE', pastDueSince: null }]);
    expect((await call('billing.invoice.get', { ...admin, id: draft.id })).status).toBe('PAID');
  });

  describe('an invoice changed while its push to Stripe was failing', () => {
    /** The account's August invoice, finalized while Stripe fails the push's first request (the push is tried again a second later). */
    async function finalizedWhileStripeFails(name: string, day: string) {
      const account = await directCustomer(name);
      await publishAll('compute', twoHoursOn(account.id, day));
      const draft = await waitFor(async () => {
        await call('billing.invoice.closeMonth', { ...admin, month: '2026-08' });
        return (await invoicesOf(account.id)).find((i) => i.periodStart === '2026-08-01T00:00:00.000Z');
      }, 30_000, `${name}'s August draft`);
      const customersMade = () => stripe.requests.filter((r) => r.method === 'POST' && r.path === '/v1/customers').length;
      const before = customersMade();
      // The request and the Stripe SDK's two retries of it (stripe-client.ts).
      stripe.failNext(3, 'error500', /^POST \/v1\/customers$/);
      await call('billing.invoice.finalize', { ...admin, id: draft.id });
      await waitFor(() => customersMade() >= before + 3, 30_000, 'the failed push');
      return draft;
    }
    const pushedOf = (invoiceId: string) => stripe.objects('invoices').filter((i) => (i.metadata as Record<string, string>)?.awan_invoice_id === invoiceId);

    /** Every event the Stripe consumer was given is acknowledged: the push's retry too. */
    async function stripeConsumerDone() {
      const jsm = await jetstreamManager(nats.nats);
      await waitFor(async () => {
        const info = await jsm.consumers.info('BILLING', 'billing-stripe');
        return info.num_pending === 0 && info.num_ack_pending === 0 && info.ack_floor.stream_seq === info.delivered.stream_seq;
      }, 30_000, "the Stripe consumer's retries");
    }

    it('voided meanwhile: nothing is left payable in Stripe', async () => {
      const draft = await finalizedWhileStripeFails('Voided Early', '2026-08-14');
      await call('billing.invoice.void', { ...admin, id: draft.id, reason: 'issued in error' });
      await stripeConsumerDone();
      expect(pushedOf(draft.id).filter((i) => i.status === 'open' || i.status === 'paid')).toEqual([]);
    });

    it('paid by bank transfer meanwhile: nothing is left payable in Stripe', async () => {
      const draft = await finalizedWhileStripeFails('Paid Early', '2026-08-16');
      await call('billing.invoice.markPaid', { ...admin, id: draft.id, reference: 'bank transfer 4712' });
      await stripeConsumerDone();
      // Not pushed at all, or paid out of band there once the push it was in went through.
      for (const pushed of pushedOf(draft.id)) {
        expect(pushed).toMatchObject({ status: 'paid', amount_paid_off_stripe: pushed.amount_paid, metadata: expect.objectContaining({ awan_paid_out_of_band: 'bank transfer 4712' }) });
      }
    });

    it('paid by bank transfer once pushed: Stripe has it paid out of band, and reminds the customer of nothing', async () => {
      const draft = await finalizedWhileStripeFails('Paid Late', '2026-08-17');
      await waitFor(() => pushedOf(draft.id).find((i) => i.status === 'open'), 30_000, 'the push, once Stripe takes it');
      await call('billing.invoice.markPaid', { ...admin, id: draft.id, reference: 'bank transfer 4713' });
      // Paid, then marked with the reference: two requests to Stripe.
      const marked = (i: Record<string, unknown>) => i.status === 'paid' && (i.metadata as Record<string, string>).awan_paid_out_of_band !== undefined;
      await waitFor(() => pushedOf(draft.id).find(marked), 30_000, 'the Stripe invoice paid out of band, with its reference');
      expect(pushedOf(draft.id)).toEqual([
        expect.objectContaining({ status: 'paid', amount_remaining: 0, metadata: expect.objectContaining({ awan_paid_out_of_band: 'bank transfer 4713' }) }),
      ]);
    });

    it('credited meanwhile: the credit note reaches Stripe once the push goes through', async () => {
      const draft = await finalizedWhileStripeFails('Credited Early', '2026-08-15');
      const note = await call('billing.creditNote.issue', { ...admin, input: { invoiceId: draft.id, amount: '0.01', reason: 'goodwill' } });
      await waitFor(() => stripe.objects('credit_notes').find((n) => (n.metadata as Record<string, string>).awan_credit_note_id === note.id), 30_000, 'the credit note in Stripe');
      expect(pushedOf(draft.id)).toEqual([expect.objectContaining({ status: 'open', amount_remaining: 0 })]);
    });
  });

  // Last: it closes the month before this one, which would draft the earlier tests' late usage into that month.
  it("drafts usage that commits while its month closes on another replica, where the close had not seen the account yet", async () => {
    const latecomer = await directCustomer('Latecomer');
    const now = new Date();
    const lastMonth = new Date(Date.UTC(now.getUTCFullYear(), now.getUTCMonth() - 1, 1)).toISOString().slice(0, 7);
    // Another replica meters two hours of last month for an account with none, its transaction open while the month
    // closes here: the close waits for the change to commit, so that it chooses whom to draft with it.
    await whileAnotherReplicaCommits(async (replica) => {
      const metering = new Metering();
      for (const event of twoHoursOn(latecomer.id, `${lastMonth}-10`)) await metering.record(event, replica);
    }, () => call('billing.invoice.closeMonth', { ...admin, month: lastMonth }));
    const drafted = (await invoicesOf(latecomer.id)).find((i) => i.periodStart === `${lastMonth}-01T00:00:00.000Z`);
    expect(drafted).toMatchObject({ status: 'DRAFT', total: '0.01' });
  });
});
