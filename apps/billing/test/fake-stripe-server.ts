import { randomBytes } from 'node:crypto';
import http from 'node:http';
import type { AddressInfo } from 'node:net';
import type Stripe from 'stripe';
import type { StripeServer } from '../src/billing.config.js';

export type FakeStripeFailure =
  /**
   * Answers 500 without doing anything or remembering the key, like a failure in front of
   * Stripe's API. (A 500 from inside Stripe's API is remembered under its key and replayed.)
   */
  | 'error500'
  /** Does the work (and remembers the key), then destroys the socket unanswered: the network lost the response. */
  | 'dropAfterProcessing';

/** What `created` counts: objects actually made, and invoices actually finalized. */
export type FakeStripeKind = 'customers' | 'invoices' | 'invoiceitems' | 'finalizations' | 'credit_notes';

export interface FakeStripeRequest {
  method: string;
  /** Without the query string. */
  path: string;
  idempotencyKey: string | null;
  /** The form body (or, for GET, the query), with `a[b]=c` read as nested objects. */
  params: Record<string, unknown>;
}

/** A running fake of Stripe's HTTP API, for tests (see `startFakeStripeServer`). */
export interface FakeStripe {
  /** e.g. http://127.0.0.1:41234, for billing's STRIPE_API_BASE. */
  url: string;
  /** The same, for `createStripeClient(key, server)`. */
  server: StripeServer;
  requests: FakeStripeRequest[];
  created(kind: FakeStripeKind): number;
  /**
   * Fails the next `n` requests, or the next `n` whose `METHOD /path` matches `matching`
   * (e.g. /^POST \/v1\/invoiceitems$/). Rules queue up: each request takes the first that matches.
   */
  failNext(n: number, mode: FakeStripeFailure, matching?: RegExp): void;
  /** The objects of a kind as the API returns them (the fields the fake keeps, includable ones too), oldest first. */
  objects(kind: 'customers' | 'invoices' | 'invoiceitems' | 'credit_notes'): Record<string, unknown>[];
  /** Marks an invoice paid, as a customer paying its page would. */
  pay(invoiceId: string): void;
  close(): Promise<void>;
}

/** Signs a webhook payload as Stripe would, for `secret`: the `Stripe-Signature` header's value. */
export function signStripeWebhook(stripe: Stripe, payload: string, secret: string): string {
  return stripe.webhooks.generateTestHeaderString({ payload, secret });
}

interface Answer {
  status: number;
  body: unknown;
}

interface Remembered extends Answer {
  /** Stripe refuses a key reused for another request. */
  request: string;
}

type Json = Record<string, unknown>;

class StripeApiError extends Error {
  constructor(
    readonly status: number,
    readonly type: string,
    message: string,
    readonly param?: string,
  ) {
    super(message);
  }
}

/**
 * A fake of Stripe's HTTP API, for tests: Stripe's servers cannot be reached here. It serves
 * the real SDK the few endpoints the push uses (customers, invoices, invoice items, finalize),
 * and honours Idempotency-Key as Stripe does: a second request with a key gets the first one's
 * answer and does nothing. Not for production code.
 */
export async function startFakeStripeServer(): Promise<FakeStripe> {
  const customers = new Map<string, Json>();
  const invoices = new Map<string, Json>();
  const invoiceItems = new Map<string, Json>();
  const creditNotes = new Map<string, Json>();
  const counts: Record<FakeStripeKind, number> = { customers: 0, invoices: 0, invoiceitems: 0, finalizations: 0, credit_notes: 0 };
  const requests: FakeStripeRequest[] = [];
  const keys = new Map<string, Remembered>();
  const failures: { remaining: number; mode: FakeStripeFailure; matching?: RegExp }[] = [];
  let invoiceNumber = 0;

  const now = () => Math.floor(Date.now() / 1000);
  const id = (prefix: string) => `${prefix}_${randomBytes(12).toString('hex')}`;

  function required<T>(map: Map<string, T>, objectId: unknown, what: string, param?: string): T {
    const found = typeof objectId === 'string' ? map.get(objectId) : undefined;
    if (!found) throw new StripeApiError(404, 'invalid_request_error', `No such ${what}: '${String(objectId)}'`, param);
    return found;
  }

  function integer(value: unknown, param: string): number {
    if (typeof value !== 'string' || !/^-?\d+$/.test(value)) {
      throw new StripeApiError(400, 'invalid_request_error', `Invalid integer: ${String(value)}`, param);
    }
    return Number(value);
  }

  function listOf(data: Json[], url: string): Json {
    return { object: 'list', data, has_more: false, url };
  }

  /**
   * An invoice as the API shows it, its lines and totals worked out from its items.
   * `amount_paid_off_stripe` is includable: shown only when `expand` asks for it.
   */
  function invoiceView(stored: Json, expand?: unknown): Json {
    const { paid_off_stripe: paidOffStripe = 0, ...invoice } = stored;
    const items = [...invoiceItems.values()].filter((item) => item.invoice === invoice.id);
    const total = items.reduce((sum, item) => sum + (item.amount as number), 0);
    const lines = items.map((item) => ({
      id: `il_${(item.id as string).slice(3)}`, object: 'line_item', amount: item.amount, currency: item.currency,
      description: item.description, invoice: invoice.id, metadata: item.metadata,
    }));
    const paid = invoice.status === 'paid';
    // Credit notes on an unpaid invoice lower what is due; on a paid one they go to the customer's balance.
    const credited = [...creditNotes.values()].filter((note) => note.invoice === invoice.id && note.type === 'pre_payment').reduce((sum, note) => sum + (note.amount as number), 0);
    return {
      ...invoice,
      subtotal: total, total, amount_due: total - credited, amount_paid: paid ? total - credited : 0, amount_remaining: paid || invoice.status === 'void' ? 0 : total - credited,
      pre_payment_credit_notes_amount: credited,
      lines: listOf(lines, `/v1/invoices/${String(invoice.id)}/lines`),
      ...(Array.isArray(expand) && expand.includes('amount_paid_off_stripe') ? { amount_paid_off_stripe: paidOffStripe } : {}),
    };
  }

  function route(method: string, path: string, params: Json): Answer {
    const [version, resource, objectId, action] = path.split('/').slice(1);
    const at = version === 'v1' ? `${method} /${resource}${objectId ? '/:id' : ''}${action ? `/${action}` : ''}` : '';
    switch (at) {
      case 'POST /customers': {
        const customer: Json = {
          id: id('cus'), object: 'customer', created: now(), livemode: false,
          name: params.name ?? null, email: params.email ?? null, metadata: params.metadata ?? {},
        };
        customers.set(customer.id as string, customer);
        counts.customers++;
        return { status: 200, body: customer };
      }
      case 'GET /customers/:id':
        return { status: 200, body: required(customers, objectId, 'customer') };
      case 'POST /invoices': {
        const customer = required(customers, params.customer, 'customer', 'customer');
        if (params.pending_invoice_items_behavior === undefined) {
          // Stripe's default differs by API version; an integration that relies on it is fragile.
          throw new StripeApiError(400, 'invalid_request_error', 'fake: send pending_invoice_items_behavior explicitly', 'pending_invoice_items_behavior');
        }
        const sendInvoice = params.collection_method === 'send_invoice';
        if (sendInvoice && params.days_until_due === undefined && params.due_date === undefined) {
          throw new StripeApiError(400, 'invalid_request_error', 'Missing required param: days_until_due.', 'days_until_due');
        }
        const invoice: Json = {
          id: id('in'), object: 'invoice', created: now(), livemode: false, status: 'draft', number: null,
          customer: customer.id, customer_email: customer.email, customer_name: customer.name,
          currency: params.currency ?? 'usd', collection_method: params.collection_method ?? 'charge_automatically',
          days_until_due: sendInvoice ? integer(params.days_until_due, 'days_until_due') : null,
          auto_advance: params.auto_advance === 'true',
          custom_fields: params.custom_fields ?? null, metadata: params.metadata ?? {},
          last_finalization_error: null, status_transitions: { finalized_at: null, paid_at: null },
        };
        invoices.set(invoice.id as string, invoice);
        counts.invoices++;
        return { status: 200, body: invoiceView(invoice) };
      }
      case 'GET /invoices/:id':
        return { status: 200, body: invoiceView(required(invoices, objectId, 'invoice'), params.expand) };
      case 'POST /invoices/:id/finalize': {
        const invoice = required(invoices, objectId, 'invoice');
        if (invoice.status !== 'draft') {
          throw new StripeApiError(400, 'invalid_request_error', "This invoice is already finalized, you can't re-finalize a non-draft invoice.");
        }
        const zero = (invoiceView(invoice).total as number) === 0;
        Object.assign(invoice, {
          // Stripe marks an invoice with nothing to pay paid as it finalizes it.
          status: zero ? 'paid' : 'open',
          number: `FAKE-${String(++invoiceNumber).padStart(4, '0')}`,
          auto_advance: params.auto_advance === undefined ? invoice.auto_advance : params.auto_advance === 'true',
          status_transitions: { finalized_at: now(), paid_at: zero ? now() : null },
        });
        counts.finalizations++;
        return { status: 200, body: invoiceView(invoice) };
      }
      case 'POST /invoices/:id/void': {
        const invoice = required(invoices, objectId, 'invoice');
        if (invoice.status !== 'open' && invoice.status !== 'uncollectible') {
          throw new StripeApiError(400, 'invalid_request_error', `You can only pass in open or uncollectible invoices. This invoice is ${String(invoice.status)}.`);
        }
        Object.assign(invoice, { status: 'void', status_transitions: { ...(invoice.status_transitions as Json), voided_at: now() } });
        return { status: 200, body: invoiceView(invoice) };
      }
      case 'POST /invoices/:id': {
        const invoice = required(invoices, objectId, 'invoice');
        if (params.metadata !== undefined) invoice.metadata = { ...(invoice.metadata as Json), ...(params.metadata as Json) };
        return { status: 200, body: invoiceView(invoice) };
      }
      case 'POST /invoices/:id/pay': {
        const invoice = required(invoices, objectId, 'invoice');
        if (params.paid_out_of_band !== 'true') throw new StripeApiError(400, 'invalid_request_error', 'fake: only an invoice paid out of band is paid here', 'paid_out_of_band');
        if (invoice.status === 'paid') throw new StripeApiError(400, 'invalid_request_error', 'Invoice is already paid');
        if (invoice.status !== 'open' && invoice.status !== 'uncollectible') {
          throw new StripeApiError(400, 'invalid_request_error', `You can only pay open or uncollectible invoices. This invoice is ${String(invoice.status)}.`);
        }
        const paidOffStripe = invoiceView(invoice).amount_remaining;
        Object.assign(invoice, { status: 'paid', paid_off_stripe: paidOffStripe, status_transitions: { ...(invoice.status_transitions as Json), paid_at: now() } });
        return { status: 200, body: invoiceView(invoice, params.expand) };
      }
      case 'DELETE /invoices/:id': {
        const invoice = required(invoices, objectId, 'invoice');
        if (invoice.status !== 'draft') throw new StripeApiError(400, 'invalid_request_error', 'You can only delete draft invoices.');
        invoices.delete(invoice.id as string);
        return { status: 200, body: { id: invoice.id, object: 'invoice', deleted: true } };
      }
      case 'POST /credit_notes': {
        const invoice = required(invoices, params.invoice, 'invoice', 'invoice');
        if (invoice.status !== 'open' && invoice.status !== 'paid') {
          throw new StripeApiError(400, 'invalid_request_error', `You can only create credit notes on open or paid invoices; ${String(invoice.id)} is ${String(invoice.status)}.`, 'invoice');
        }
        const lines = (params.lines ?? []) as Json[];
        const amount = lines.reduce((sum, line, i) => sum + integer(line.unit_amount, `lines[${i}][unit_amount]`) * integer(line.quantity ?? '1', `lines[${i}][quantity]`), 0);
        const view = invoiceView(invoice);
        const settled = ['refund_amount', 'credit_amount', 'out_of_band_amount'].reduce((sum, key) => sum + (params[key] === undefined ? 0 : integer(params[key], key)), 0);
        if (invoice.status === 'paid' && settled !== amount) {
          throw new StripeApiError(400, 'invalid_request_error', 'The sum of credit amount, refund amount and out of band amount must equal the credit note amount.');
        }
        if (invoice.status === 'open' && amount > (view.amount_remaining as number)) {
          throw new StripeApiError(400, 'invalid_request_error', 'The credit note amount is more than the amount remaining on the invoice.');
        }
        const note: Json = {
          id: id('cn'), object: 'credit_note', created: now(), livemode: false, invoice: invoice.id, customer: invoice.customer, currency: invoice.currency,
          amount, total: amount, type: invoice.status === 'paid' ? 'post_payment' : 'pre_payment', status: 'issued',
          credit_amount: params.credit_amount === undefined ? null : integer(params.credit_amount, 'credit_amount'), memo: params.memo ?? null, metadata: params.metadata ?? {},
        };
        creditNotes.set(note.id as string, note);
        counts.credit_notes++;
        return { status: 200, body: note };
      }
      case 'GET /credit_notes': {
        const data = [...creditNotes.values()].filter((note) => params.invoice === undefined || note.invoice === params.invoice);
        return { status: 200, body: listOf(data, '/v1/credit_notes') };
      }
      case 'POST /invoiceitems': {
        const customer = required(customers, params.customer, 'customer', 'customer');
        const amount = integer(params.amount, 'amount');
        const item: Json = {
          id: id('ii'), object: 'invoiceitem', date: now(), livemode: false, customer: customer.id,
          amount, currency: params.currency, description: params.description ?? null,
          invoice: null, metadata: params.metadata ?? {},
        };
        if (params.invoice !== undefined) {
          const invoice = required(invoices, params.invoice, 'invoice', 'invoice');
          if (invoice.status !== 'draft') {
            throw new StripeApiError(400, 'invalid_request_error', `You can only add invoice items to draft invoices; ${String(invoice.id)} is ${String(invoice.status)}.`, 'invoice');
          }
          if (invoice.customer !== customer.id) {
            throw new StripeApiError(400, 'invalid_request_error', 'The invoice belongs to another customer.', 'invoice');
          }
          if (invoice.currency !== params.currency) {
            throw new StripeApiError(400, 'invalid_request_error', `The invoice's currency is ${String(invoice.currency)}.`, 'currency');
          }
          item.invoice = invoice.id;
        }
        invoiceItems.set(item.id as string, item);
        counts.invoiceitems++;
        return { status: 200, body: item };
      }
      case 'GET /invoiceitems': {
        const data = [...invoiceItems.values()].filter((item) => params.invoice === undefined || item.invoice === params.invoice);
        return { status: 200, body: listOf(data, '/v1/invoiceitems') };
      }
      default:
        throw new StripeApiError(404, 'invalid_request_error', `Unrecognized request URL (${method}: ${path}).`);
    }
  }

  /** Runs a request once per idempotency key; a second one with the key gets the first one's answer. */
  function answer(method: string, path: string, key: string | null, params: Json): Answer & { replayed: boolean } {
    const request = `${method} ${path} ${JSON.stringify(params)}`;
    const remembered = key === null ? undefined : keys.get(key);
    if (remembered) {
      if (remembered.request !== request) {
        return {
          status: 400, replayed: false,
          body: errorBody(new StripeApiError(400, 'idempotency_error', `Keys for idempotent requests can only be used with the same parameters they were first used with. Try using a key other than '${key}' if you meant to execute a different request.`)),
        };
      }
      return { ...remembered, replayed: true };
    }
    let result: Answer;
    try {
      result = route(method, path, params);
    } catch (error) {
      if (!(error instanceof StripeApiError)) throw error;
      result = { status: error.status, body: errorBody(error) };
    }
    // Stripe remembers errors too, once the endpoint ran; GETs need no key.
    if (key !== null && method === 'POST') keys.set(key, { ...result, request });
    return { ...result, replayed: false };
  }

  const server = http.createServer((req, res) => {
    const chunks: Buffer[] = [];
    req.on('data', (chunk: Buffer) => chunks.push(chunk));
    req.on('end', () => {
      const url = new URL(req.url ?? '/', 'http://fake-stripe');
      const method = req.method ?? 'GET';
      const key = headerOf(req, 'idempotency-key');
      const params = parseForm(method === 'GET' ? url.search.slice(1) : Buffer.concat(chunks).toString('utf8'));
      requests.push({ method, path: url.pathname, idempotencyKey: key, params });

      const reply = (status: number, body: unknown, headers: Record<string, string> = {}) => {
        res.writeHead(status, { 'Content-Type': 'application/json', 'Request-Id': id('req'), ...headers });
        res.end(JSON.stringify(body));
      };
      if (!/^Bearer sk_(test|live)_\S+$/.test(req.headers.authorization ?? '')) {
        reply(401, errorBody(new StripeApiError(401, 'invalid_request_error', 'Invalid API Key provided.')));
        return;
      }
      const failure = failures.find((f) => f.remaining > 0 && (!f.matching || f.matching.test(`${method} ${url.pathname}`)));
      if (failure) failure.remaining--;
      if (failure?.mode === 'error500') {
        reply(500, errorBody(new StripeApiError(500, 'api_error', 'fake: an internal error, nothing was done')));
        return;
      }
      const result = answer(method, url.pathname, key, params);
      if (failure?.mode === 'dropAfterProcessing') {
        req.socket.destroy();
        return;
      }
      reply(result.status, result.body, {
        ...(key !== null && method === 'POST' ? { 'Idempotency-Key': key } : {}),
        ...(result.replayed ? { 'Idempotent-Replayed': 'true' } : {}),
      });
    });
  });
  await new Promise<void>((resolve) => server.listen(0, '127.0.0.1', resolve));
  const { port } = server.address() as AddressInfo;

  return {
    url: `http://127.0.0.1:${port}`,
    server: { host: '127.0.0.1', port, protocol: 'http' },
    requests,
    created: (kind) => counts[kind],
    failNext(n, mode, matching) {
      failures.push({ remaining: n, mode, matching });
    },
    objects(kind) {
      if (kind === 'invoices') return [...invoices.values()].map((invoice) => invoiceView(invoice, ['amount_paid_off_stripe']));
      return [...{ customers, invoiceitems: invoiceItems, credit_notes: creditNotes }[kind].values()];
    },
    pay(invoiceId) {
      const invoice = required(invoices, invoiceId, 'invoice');
      Object.assign(invoice, { status: 'paid', status_transitions: { ...(invoice.status_transitions as Json), paid_at: now() } });
    },
    async close() {
      server.closeAllConnections();
      await new Promise<void>((resolve, reject) => server.close((error) => (error ? reject(error) : resolve())));
    },
  };
}

function errorBody(error: StripeApiError): Json {
  return { error: { type: error.type, message: error.message, ...(error.param ? { param: error.param } : {}) } };
}

function headerOf(req: http.IncomingMessage, name: string): string | null {
  const value = req.headers[name];
  return typeof value === 'string' ? value : null;
}

/**
 * Reads Stripe's form encoding: `metadata[awan_invoice_id]=…` and `custom_fields[0][name]=…`
 * become nested objects, objects keyed 0, 1, … become arrays, `expand[]=…` appends.
 */
function parseForm(body: string): Json {
  const root: Json = {};
  for (const [name, value] of new URLSearchParams(body)) {
    const head = /^[^[]+/.exec(name)?.[0] ?? name;
    const path = [head, ...[...name.slice(head.length).matchAll(/\[([^\]]*)\]/g)].map((m) => m[1])];
    let node: Json = root;
    path.forEach((segment, i) => {
      const last = i === path.length - 1;
      const slot = segment === '' ? String(Object.keys(node).length) : segment;
      if (last) node[slot] = value;
      else node = (node[slot] ??= {}) as Json;
    });
  }
  return arraysIn(root) as Json;
}

function arraysIn(value: unknown): unknown {
  if (typeof value !== 'object' || value === null) return value;
  const entries = Object.entries(value as Json).map(([k, v]) => [k, arraysIn(v)] as const);
  const indexed = entries.length > 0 && entries.every(([k], i) => k === String(i));
  return indexed ? entries.map(([, v]) => v) : Object.fromEntries(entries);
}
