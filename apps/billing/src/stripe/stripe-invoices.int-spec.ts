import { randomUUID } from 'node:crypto';
import type Stripe from 'stripe';
import { migrate } from '#libs/event-store';
import { AppError } from '#libs/contracts';
import { createTestDatabase, uniqueName, type TestDatabase } from '#libs/testing';
import { signStripeWebhook, startFakeStripeServer, type FakeStripe } from '../../test/fake-stripe-server.js';
import { createStripeClient } from './stripe-client.js';
import { PgStripeProgress, StripeInvoices, stripeMigrations, type StripeInvoiceDocument, type StripeProgress } from './stripe-invoices.js';
import { readStripeWebhook } from './stripe-webhook.js';

const WEBHOOK_SECRET = 'whsec_awan_test';

function documentFor(accountId: string): StripeInvoiceDocument {
  return {
    invoiceId: randomUUID(),
    number: `AWN-2026-${String(Math.floor(Math.random() * 1e6)).padStart(6, '0')}`,
    accountId,
    accountName: 'Acme GmbH',
    email: 'billing@acme.example',
    currency: 'EUR',
    lines: [
      { id: randomUUID(), description: 'web-1 (s-2vcpu-4gb), May 2026', amountMinor: '2400' },
      { id: randomUUID(), description: 'Floating IPv4 203.0.113.7, May 2026', amountMinor: '500' },
      { id: randomUUID(), description: 'web-2 (s-1vcpu-1gb), deleted within a second', amountMinor: '0' },
    ],
    taxMinor: '551',
    taxDescription: 'Tax 19%',
  };
}

/** The error a synchronous call threw. */
function refusal(call: () => unknown): unknown {
  try {
    call();
  } catch (error) {
    return error;
  }
  throw new Error('the call succeeded');
}

describe('pushing invoices to Stripe: the real SDK against a fake Stripe, progress in PostgreSQL', () => {
  let db: TestDatabase;
  let fake: FakeStripe;
  let stripe: Stripe;
  let progress: PgStripeProgress;
  let invoices: StripeInvoices;

  beforeAll(async () => {
    db = await createTestDatabase('stripe');
    await migrate(db.pool, db.schema, stripeMigrations);
    progress = new PgStripeProgress(db.pool);
  });

  beforeEach(async () => {
    fake = await startFakeStripeServer();
    stripe = createStripeClient('sk_test_awan', fake.server);
    invoices = new StripeInvoices(stripe, progress);
  });

  afterEach(async () => {
    await fake.close();
  });

  afterAll(async () => {
    await db?.close();
  });

  const keysSent = (path: RegExp) => fake.requests.filter((r) => r.method === 'POST' && path.test(r.path)).map((r) => r.idempotencyKey);

  it('makes each object once though an item request fails with 500 and the finalize response is lost, over the consumer\'s retries', async () => {
    const document = documentFor(uniqueName('acct-'));
    const [web, ip] = document.lines;
    // More failures than the SDK's own retries (2), so the push itself fails and is pushed again.
    fake.failNext(3, 'error500', /^POST \/v1\/invoiceitems$/);
    fake.failNext(3, 'dropAfterProcessing', /^POST \/v1\/invoices\/[^/]+\/finalize$/);

    await expect(invoices.push(document)).rejects.toMatchObject({ type: 'StripeAPIError', statusCode: 500 });
    expect(fake.created('invoiceitems')).toBe(0);
    await expect(invoices.push(document)).rejects.toMatchObject({ type: 'StripeConnectionError' });
    expect(fake.created('finalizations')).toBe(1); // done, though no answer came back
    expect(await progress.invoiceFor(document.invoiceId)).toMatchObject({ finalized: false });

    const stripeInvoiceId = await invoices.push(document);
    expect(await progress.invoiceFor(document.invoiceId)).toEqual({ stripeInvoiceId, finalized: true });
    const sent = fake.requests.length;
    expect(await invoices.push(document)).toBe(stripeInvoiceId); // redelivered after success: nothing sent
    expect(fake.requests.length).toBe(sent);

    expect(['customers', 'invoices', 'invoiceitems', 'finalizations'].map((kind) => fake.created(kind as never))).toEqual([1, 1, 3, 1]);
    const [customer] = fake.objects('customers');
    expect(customer).toMatchObject({ name: 'Acme GmbH', email: 'billing@acme.example', metadata: { awan_account_id: document.accountId } });
    expect(fake.objects('invoices')).toEqual([expect.objectContaining({
      id: stripeInvoiceId, customer: customer.id, currency: 'eur', status: 'open', total: 3451,
      collection_method: 'send_invoice', days_until_due: 14, auto_advance: true,
      custom_fields: [{ name: 'Awan invoice', value: document.number }],
      metadata: { awan_invoice_id: document.invoiceId, awan_account_id: document.accountId, awan_number: document.number },
    })]);
    // The zero line has no item; the tax has one; amounts are integers in cents, in order.
    expect(fake.objects('invoiceitems').map(({ amount, currency, description, invoice, metadata }) => ({ amount, currency, description, invoice, metadata })))
      .toEqual([
        { amount: 2400, currency: 'eur', description: web.description, invoice: stripeInvoiceId, metadata: { awan_invoice_id: document.invoiceId, awan_line_id: web.id } },
        { amount: 500, currency: 'eur', description: ip.description, invoice: stripeInvoiceId, metadata: { awan_invoice_id: document.invoiceId, awan_line_id: ip.id } },
        { amount: 551, currency: 'eur', description: 'Tax 19%', invoice: stripeInvoiceId, metadata: { awan_invoice_id: document.invoiceId, awan_line_id: 'tax' } },
      ]);

    // Every create carried our key, and every retry the same one.
    expect(new Set(keysSent(/^\/v1\/customers$/))).toEqual(new Set([`awan-customer-${document.accountId}`]));
    expect(new Set(keysSent(/^\/v1\/invoices$/))).toEqual(new Set([`awan-invoice-${document.invoiceId}`]));
    expect(keysSent(/^\/v1\/invoiceitems$/)).toEqual([
      ...Array(3).fill(`awan-invoice-item-${document.invoiceId}-${web.id}`), // the first push: 500, 500, 500
      `awan-invoice-item-${document.invoiceId}-${web.id}`,
      `awan-invoice-item-${document.invoiceId}-${ip.id}`,
      `awan-invoice-item-${document.invoiceId}-tax`,
    ]);
    expect(keysSent(/\/finalize$/)).toEqual(Array(3).fill(`awan-finalize-${document.invoiceId}`));
  }, 30_000);

  it('replays Stripe\'s answer when we crashed before recording it, instead of making a second invoice', async () => {
    const document = documentFor(uniqueName('acct-'));
    let crashes = 1;
    const crashing: StripeProgress = {
      customerFor: (accountId) => progress.customerFor(accountId),
      saveCustomer: (accountId, id) => progress.saveCustomer(accountId, id),
      invoiceFor: (invoiceId) => progress.invoiceFor(invoiceId),
      async saveInvoice(invoiceId, id, finalized) {
        if (crashes-- > 0) throw new Error('the process died here');
        await progress.saveInvoice(invoiceId, id, finalized);
      },
    };
    const pushing = new StripeInvoices(stripe, crashing);

    await expect(pushing.push(document)).rejects.toThrow('the process died here');
    const stripeInvoiceId = await pushing.push(document);

    expect(fake.created('invoices')).toBe(1);
    expect(fake.objects('invoices')).toEqual([expect.objectContaining({ id: stripeInvoiceId, status: 'open' })]);
    expect(fake.requests.filter((r) => r.path === '/v1/invoices')).toHaveLength(2); // the second one replayed
  });

  it('creates an account\'s customer once, for all its invoices', async () => {
    const accountId = uniqueName('acct-');
    const first = await invoices.push(documentFor(accountId));
    const second = await invoices.push({ ...documentFor(accountId), currency: 'USD' });

    expect(first).not.toBe(second);
    expect(fake.created('customers')).toBe(1);
    expect(keysSent(/^\/v1\/customers$/)).toHaveLength(1);
    const [customer] = fake.objects('customers');
    expect(fake.objects('invoices').map((invoice) => [invoice.customer, invoice.currency])).toEqual([[customer.id, 'eur'], [customer.id, 'usd']]);
    expect(await progress.customerFor(accountId)).toBe(customer.id);
  });

  const stripeInvoiceOf = (stripeInvoiceId: string) => fake.objects('invoices').find((i) => i.id === stripeInvoiceId);

  it("makes a voided invoice's Stripe invoice unpayable: voided, a draft a push left deleted, one paid in Stripe meanwhile told", async () => {
    const open = documentFor(uniqueName('acct-'));
    const openId = await invoices.push(open);
    expect(await invoices.void(open.invoiceId)).toBe('voided');
    expect(stripeInvoiceOf(openId)).toMatchObject({ status: 'void', amount_remaining: 0 });
    expect(await invoices.void(open.invoiceId)).toBe('voided'); // redelivered: nothing more

    const halfPushed = documentFor(uniqueName('acct-'));
    fake.failNext(3, 'error500', /^POST \/v1\/invoices\/[^/]+\/finalize$/); // the SDK's own retries too
    await expect(invoices.push(halfPushed)).rejects.toMatchObject({ statusCode: 500 });
    const draftId = (await progress.invoiceFor(halfPushed.invoiceId))!.stripeInvoiceId;
    expect(await invoices.void(halfPushed.invoiceId)).toBe('voided');
    expect(stripeInvoiceOf(draftId)).toBeUndefined();

    const paid = documentFor(uniqueName('acct-'));
    const paidId = await invoices.push(paid);
    fake.pay(paidId);
    expect(await invoices.void(paid.invoiceId)).toBe('paid in Stripe');
    expect(stripeInvoiceOf(paidId)).toMatchObject({ status: 'paid' });
    expect(await invoices.void(randomUUID())).toBe('not pushed');
  });

  it('marks an invoice paid outside Stripe paid out of band there, once: a draft a push left deleted, one the customer paid in Stripe too told', async () => {
    const open = documentFor(uniqueName('acct-'));
    const openId = await invoices.push(open);
    expect(await invoices.settleOutOfBand(open.invoiceId, 'bank transfer 2026-06-03')).toBe('settled');
    expect(stripeInvoiceOf(openId)).toMatchObject({ status: 'paid', amount_remaining: 0, metadata: expect.objectContaining({ awan_paid_out_of_band: 'bank transfer 2026-06-03' }) });
    expect(await invoices.settleOutOfBand(open.invoiceId, 'bank transfer 2026-06-03')).toBe('settled'); // redelivered: nothing more
    expect(keysSent(/^\/v1\/invoices\/[^/]+\/pay$/)).toEqual([`awan-paid-out-of-band-${open.invoiceId}`]);

    const halfPushed = documentFor(uniqueName('acct-'));
    fake.failNext(3, 'error500', /^POST \/v1\/invoices\/[^/]+\/finalize$/);
    await expect(invoices.push(halfPushed)).rejects.toMatchObject({ statusCode: 500 });
    const draftId = (await progress.invoiceFor(halfPushed.invoiceId))!.stripeInvoiceId;
    expect(await invoices.settleOutOfBand(halfPushed.invoiceId, 'cash')).toBe('settled');
    expect(stripeInvoiceOf(draftId)).toBeUndefined();

    const paidTwice = documentFor(uniqueName('acct-'));
    const paidTwiceId = await invoices.push(paidTwice);
    fake.pay(paidTwiceId);
    expect(await invoices.settleOutOfBand(paidTwice.invoiceId, 'bank transfer')).toBe('paid in Stripe');
    expect(await invoices.settleOutOfBand(randomUUID(), 'bank transfer')).toBe('not pushed');
  });

  it('tells who paid from what Stripe shows paid outside it, whatever became of our payment', async () => {
    const payPath = /^POST \/v1\/invoices\/[^/]+\/pay$/;
    // Our payment went through, but every answer to it (the SDK's retries too) was lost.
    const unanswered = documentFor(uniqueName('acct-'));
    const unansweredId = await invoices.push(unanswered);
    fake.failNext(3, 'dropAfterProcessing', payPath);
    expect(await invoices.settleOutOfBand(unanswered.invoiceId, 'bank transfer 1')).toBe('settled');
    expect(stripeInvoiceOf(unansweredId)).toMatchObject({ status: 'paid', amount_paid: 3451, amount_paid_off_stripe: 3451, metadata: expect.objectContaining({ awan_paid_out_of_band: 'bank transfer 1' }) });

    // Our payment failed; the customer paid in Stripe before we tried again.
    const failed = documentFor(uniqueName('acct-'));
    const failedId = await invoices.push(failed);
    fake.failNext(3, 'error500', payPath);
    await expect(invoices.settleOutOfBand(failed.invoiceId, 'bank transfer 2')).rejects.toMatchObject({ statusCode: 500 });
    fake.pay(failedId);
    expect(await invoices.settleOutOfBand(failed.invoiceId, 'bank transfer 2')).toBe('paid in Stripe');
    expect(stripeInvoiceOf(failedId)).toMatchObject({ status: 'paid', amount_paid: 3451, amount_paid_off_stripe: 0 });
    expect(await invoices.settleOutOfBand(failed.invoiceId, 'bank transfer 2')).toBe('paid in Stripe'); // redelivered: the same answer
  });

  it("issues a credit note on a pushed invoice once: less is due while it is open, the customer's balance once it is paid", async () => {
    const open = documentFor(uniqueName('acct-'));
    const openId = await invoices.push(open);
    const note = { invoiceId: open.invoiceId, creditNoteId: randomUUID(), number: 'AWN-CN-2026-000001', currency: 'EUR', amountMinor: '1000', reason: 'goodwill' };
    expect(await invoices.credit(note)).toBe('credited');
    expect(await invoices.credit(note)).toBe('credited'); // redelivered, past Stripe's day of idempotency keys too
    expect(fake.objects('credit_notes').filter((n) => n.invoice === openId)).toEqual([
      expect.objectContaining({ amount: 1000, type: 'pre_payment', credit_amount: null, metadata: expect.objectContaining({ awan_credit_note_id: note.creditNoteId }) }),
    ]);
    expect(stripeInvoiceOf(openId)).toMatchObject({ total: 3451, amount_remaining: 2451 });

    const paid = documentFor(uniqueName('acct-'));
    const paidId = await invoices.push(paid);
    fake.pay(paidId);
    expect(await invoices.credit({ ...note, invoiceId: paid.invoiceId, creditNoteId: randomUUID(), amountMinor: '500' })).toBe('credited');
    expect(fake.objects('credit_notes').find((n) => n.invoice === paidId)).toMatchObject({ amount: 500, type: 'post_payment', credit_amount: 500 });
    expect(await invoices.credit({ ...note, invoiceId: randomUUID() })).toBe('not pushed');
  });

  it('reads only webhooks Stripe signed, and finds our invoice in a paid one', async () => {
    const document = documentFor(uniqueName('acct-'));
    const stripeInvoiceId = await invoices.push(document);
    const [invoice] = fake.objects('invoices');
    const payload = JSON.stringify({
      id: 'evt_paid_1', object: 'event', type: 'invoice.paid', api_version: '2026-10-28.endive', created: 1780000000,
      livemode: false, pending_webhooks: 1, request: { id: null, idempotency_key: null },
      data: { object: { ...invoice, status: 'paid', amount_paid: invoice.total, amount_remaining: 0 } },
    });
    const body = Buffer.from(payload);
    const signature = signStripeWebhook(stripe, payload, WEBHOOK_SECRET);
    const read = (bytes: Buffer, header: string | undefined) => readStripeWebhook(stripe, bytes, header, WEBHOOK_SECRET);

    const refusals = [
      refusal(() => read(body, undefined)),
      refusal(() => read(body, '')),
      refusal(() => read(body, signStripeWebhook(stripe, payload, 'whsec_someone_else'))),
      refusal(() => read(Buffer.from(payload.replace('"status":"paid"', '"status":"open"')), signature)), // a byte changed
      refusal(() => read(body, 'not a signature')),
      refusal(() => read(body, stripe.webhooks.generateTestHeaderString({ payload, secret: WEBHOOK_SECRET, timestamp: Math.floor(Date.now() / 1000) - 3600 }))), // replayed an hour late
    ];
    for (const error of refusals) {
      expect(error).toBeInstanceOf(AppError);
      expect(error).toMatchObject({ code: 'BAD_USER_INPUT', field: 'Stripe-Signature', message: expect.stringContaining('Stripe-Signature') });
    }
    expect((refusals[0] as AppError).message).toContain('missing');

    expect(read(body, signature)).toEqual({
      id: 'evt_paid_1', type: 'invoice.paid', awanInvoiceId: document.invoiceId, stripeInvoiceId, reason: null,
    });
    const other = JSON.stringify({ id: 'evt_other', object: 'event', type: 'customer.updated', data: { object: { id: 'cus_1', object: 'customer' } } });
    expect(read(Buffer.from(other), signStripeWebhook(stripe, other, WEBHOOK_SECRET)))
      .toEqual({ id: 'evt_other', type: 'ignored', awanInvoiceId: null, stripeInvoiceId: null, reason: null });
    expect(() => readStripeWebhook(stripe, body, signature, '')).toThrow('no Stripe webhook signing secret');
  });

  it('reads why a payment failed, from what the event carries', () => {
    const awanInvoiceId = randomUUID();
    const failed = (id: string, invoice: object) => {
      const payload = JSON.stringify({
        id, object: 'event', type: 'invoice.payment_failed', livemode: false,
        data: { object: { id: 'in_failed', object: 'invoice', status: 'open', metadata: { awan_invoice_id: awanInvoiceId }, last_finalization_error: null, ...invoice } },
      });
      return readStripeWebhook(stripe, Buffer.from(payload), signStripeWebhook(stripe, payload, WEBHOOK_SECRET), WEBHOOK_SECRET);
    };

    expect(failed('evt_declined', {
      payments: { object: 'list', has_more: false, data: [{ id: 'inpay_1', object: 'invoice_payment', payment: { type: 'charge', charge: { id: 'ch_1', object: 'charge', failure_message: 'Your card was declined.' } } }] },
    })).toEqual({ id: 'evt_declined', type: 'invoice.payment_failed', awanInvoiceId, stripeInvoiceId: 'in_failed', reason: 'Your card was declined.' });
    expect(failed('evt_intent', {
      payments: { object: 'list', has_more: false, data: [{ id: 'inpay_2', object: 'invoice_payment', payment: { type: 'payment_intent', payment_intent: { id: 'pi_1', object: 'payment_intent', last_payment_error: { message: 'Your card has insufficient funds.' } } } }] },
    }).reason).toBe('Your card has insufficient funds.');
    expect(failed('evt_finalization', { last_finalization_error: { type: 'invalid_request_error', message: 'The customer has no email address.' } }).reason)
      .toBe('The customer has no email address.');
    // A payment only named by id (Stripe's usual payload) says no more than that it failed.
    expect(failed('evt_bare', { payments: { object: 'list', has_more: false, data: [{ id: 'inpay_3', object: 'invoice_payment', payment: { type: 'charge', charge: 'ch_2' } }] } }))
      .toMatchObject({ type: 'invoice.payment_failed', awanInvoiceId, reason: 'payment failed' });
  });

  it('reads an invoice Stripe sent that passed its due date unpaid: no payment failed, yet dunning counts it', () => {
    const payload = JSON.stringify({
      id: 'evt_overdue', object: 'event', type: 'invoice.overdue', livemode: false,
      data: { object: { id: 'in_overdue', object: 'invoice', status: 'open', collection_method: 'send_invoice', due_date: 1780000000, metadata: { awan_invoice_id: 'inv-1' } } },
    });
    expect(readStripeWebhook(stripe, Buffer.from(payload), signStripeWebhook(stripe, payload, WEBHOOK_SECRET), WEBHOOK_SECRET)).toEqual({
      id: 'evt_overdue', type: 'invoice.overdue', awanInvoiceId: 'inv-1', stripeInvoiceId: 'in_overdue', reason: 'unpaid past its due date, 2026-05-28',
    });
  });
});
