import { randomUUID } from 'node:crypto';
import { mkdtempSync, rmSync, writeFileSync } from 'node:fs';
import os from 'node:os';
import path from 'node:path';
import { connect, type NatsConnection } from '@nats-io/transport-node';
import { PLATFORM_SCOPE, type NetworkEvents } from '#libs/contracts';
import { credentialsOptions } from '#libs/nats-auth';
import {
  connectServiceClient, eventEnvelope, GraphqlClient, publishEvent, runCommand, startTestAwan, waitFor, type TestAwan, type TestServiceClient,
} from '#libs/testing';

/** October 2026: ended, and never closed by billing's own job in a test's life (it closes the month before now, and on). */
const MONTH = '2026-10';
const LINES = 45;

interface Line {
  description: string;
  quantity: string;
  unit: string;
  unitPrice: { amount: string };
  amount: { amount: string };
}
interface Invoice {
  id: string;
  number: string | null;
  status: string;
  periodStart: string;
  total: { amount: string };
  lines: Line[];
}
const INVOICE_FIELDS = 'id number status periodStart total { amount } lines { description quantity unit unitPrice { amount } amount { amount } }';

/** RFC 4180: fields split at commas and CRLF, quoted ones with their quotes doubled. */
function parseCsv(text: string): string[][] {
  const rows: string[][] = [];
  let row: string[] = [];
  let field = '';
  let quoted = false;
  for (let i = 0; i < text.length; i++) {
    const c = text[i];
    if (quoted && c === '"' && text[i + 1] === '"') {
      field += '"';
      i++;
    } else if (c === '"') {
      quoted = !quoted;
    } else if (!quoted && c === ',') {
      row.push(field);
      field = '';
    } else if (!quoted && c === '\r' && text[i + 1] === '\n') {
      rows.push([...row, field]);
      row = [];
      field = '';
      i++;
    } else {
      field += c;
    }
  }
  expect(field + row.join('')).toBe(''); // the last record ends with its CRLF
  return rows;
}

/** The words as a reader sees them: a description wrapped over two rows of the PDF reads as one. */
const flat = (text: string) => text.replace(/\s+/g, ' ').trim();

/**
 * The invoice documents on the whole system (`npm start`'s launcher, a simulated host): a
 * customer's October, billed from the events network would have published then, as CSV and as
 * PDF, read back as a user would (pdftotext), and refused to whoever may not see them.
 */
describe('invoice documents: GET /invoices/{id}.csv, /invoices/{id}.pdf and /invoices.csv?month=', () => {
  let awan: TestAwan;
  let base: string;
  let admin: GraphqlClient;
  let keys: { reseller: string; customer: string; stranger: string; finance: string };
  let customerId: string;
  let resellerId: string;
  /** Network's own connection: this test publishes the October that network would have. */
  let network: NatsConnection;
  /** Billing's month close on demand, as an operator's tool asks it. */
  let operator: TestServiceClient;
  let tmp: string;

  beforeAll(async () => {
    awan = await startTestAwan('invoice_docs', { AWAN_PLATFORM_NAME: 'Awan Cloud Platform' }, { localAgent: false });
    base = awan.url.replace(/\/graphql$/, '');
    const api = new GraphqlClient(awan.url);
    admin = api.as(awan.adminKey);
    const created = async (client: GraphqlClient, input: string) =>
      (await client.data(`mutation { createAccount(input: ${input}) { account { id } apiKey { secret } } }`)).createAccount as { account: { id: string }; apiKey: { secret: string } };
    const reseller = await created(admin, '{ name: "Acme Hosting", kind: RESELLER, email: "billing@acme.example", currency: "EUR" }');
    const resellerApi = api.as(reseller.apiKey.secret);
    const customer = await created(resellerApi, '{ name: "Cafe Blue", kind: CUSTOMER, email: "ops@cafe.example", taxRate: "0.19" }');
    const stranger = await created(resellerApi, '{ name: "Other Customer", kind: CUSTOMER }');
    const finance = await resellerApi.data(`mutation { createApiKey(input: { accountId: "${reseller.account.id}", name: "books", role: FINANCE }) { secret } }`);
    keys = { reseller: reseller.apiKey.secret, customer: customer.apiKey.secret, stranger: stranger.apiKey.secret, finance: finance.createApiKey.secret };
    customerId = customer.account.id;
    resellerId = reseller.account.id;
    network = await connect({ servers: awan.natsUrl, name: 'invoice-docs-e2e', ...credentialsOptions(awan.natsCredentials('network')) });
    operator = await connectServiceClient('invoice-docs-e2e', awan.natsUrl, awan.natsCredentials('gateway'));
    tmp = mkdtempSync(path.join(os.tmpdir(), 'invoice-docs-'));
  }, 240_000);

  afterAll(async () => {
    await network?.drain();
    await operator?.close();
    await awan?.stop();
    if (tmp) rmSync(tmp, { recursive: true, force: true });
  }, 120_000);

  const get = (url: string, key?: string) => fetch(`${base}${url}`, { headers: key ? { authorization: `Bearer ${key}` } : {} });
  /** The error a refused request answers with, in JSON as GraphQL's are. */
  const refusal = async (response: Response) => {
    expect(response.headers.get('content-type')).toMatch(/^application\/json/);
    return ((await response.json()) as { errors: { message: string; extensions: { code: string; field?: string } }[] }).errors[0];
  };
  /** What pdftotext reads in the PDF, page by page. */
  const pdfPages = async (pdf: Buffer): Promise<string[]> => {
    const file = path.join(tmp, `${randomUUID()}.pdf`);
    writeFileSync(file, pdf);
    return (await runCommand('pdftotext', [file, '-'])).split('\f').filter((page) => page.trim() !== '');
  };
  const invoiceOf = async (id: string, key = keys.customer) => (await admin.as(key).data<{ invoice: Invoice }>(`{ invoice(id: "${id}") { ${INVOICE_FIELDS} } }`)).invoice;

  let octoberId: string;

  it("drafts the customer's October from network's events, one line per floating address", async () => {
    // 45 floating addresses, each held for a few hours of October: a line each, at the platform's price.
    for (let i = 0; i < LINES; i++) {
      const ipId = randomUUID();
      const allocatedAt = new Date(Date.UTC(2026, 9, 1 + (i % 28), 1));
      const allocated: NetworkEvents['IpAllocated'] = {
        ipId, address: `198.51.100.${i + 10}`, family: 'IPV4', regionId: 'local', accountId: customerId, floating: true, poolId: randomUUID(), prefixLength: 25, gateway: '198.51.100.1',
      };
      await publishEvent(network, 'network', eventEnvelope(`ip-${ipId}`, 'IpAllocated', 1, allocated, allocatedAt));
      await publishEvent(network, 'network', eventEnvelope(`ip-${ipId}`, 'IpReleased', 2, { ipId }, new Date(allocatedAt.getTime() + (i + 1) * 7 * 3600_000)));
    }
    // Closing the month drafts it once billing has the account and the usage; the draft is rated live until all 45 are in.
    const draft = await waitFor(async () => {
      await operator.client.call('billing.invoice.closeMonth', { accountIds: PLATFORM_SCOPE, month: MONTH });
      const { invoices } = await admin.as(keys.customer).data<{ invoices: { edges: { node: Invoice }[] } }>(`{ invoices { edges { node { ${INVOICE_FIELDS} } } } }`);
      const october = invoices.edges.map((e) => e.node).find((invoice) => invoice.periodStart.startsWith(`${MONTH}-01`));
      return october?.lines.length === LINES ? october : undefined;
    }, 60_000, `the customer's ${MONTH} draft with its ${LINES} lines`);
    expect(draft.status).toBe('DRAFT');
    octoberId = draft.id;
  });

  it("gives a DRAFT's PDF, saying DRAFT on every one of its pages, and its CSV", async () => {
    const response = await get(`/invoices/${octoberId}.pdf`, keys.customer);
    expect(response.status).toBe(200);
    expect(response.headers.get('content-type')).toBe('application/pdf');
    expect(response.headers.get('content-disposition')).toBe(`attachment; filename="draft-${octoberId}.pdf"`);
    const pages = await pdfPages(Buffer.from(await response.arrayBuffer()));
    expect(pages.length).toBeGreaterThanOrEqual(2);
    for (const page of pages) expect(page).toMatch(/\bDRAFT\b/);

    const csv = await get(`/invoices/${octoberId}.csv`, keys.customer);
    expect(csv.status).toBe(200);
    expect(csv.headers.get('content-type')).toBe('text/csv; charset=utf-8; header=present');
    expect(csv.headers.get('content-disposition')).toBe(`attachment; filename="draft-${octoberId}.csv"`);
    const rows = parseCsv(await csv.text());
    expect(rows).toHaveLength(1 + LINES);
    expect(rows.slice(1).every((row) => row[1] === octoberId && row[2] === 'DRAFT')).toBe(true);
  });

  it("gives a FINALIZED invoice's PDF with its number, issuer, customer, each line and the total, and its CSV a row per line", async () => {
    const finance = admin.as(keys.finance);
    const { finalizeInvoice } = await finance.data<{ finalizeInvoice: { number: string } }>(`mutation { finalizeInvoice(id: "${octoberId}") { number } }`);
    const misnamed = await finance.request('mutation { issueCreditNote(input: { invoiceId: "INV-7", amount: "0.05", reason: "an hour of outage" }) { number } }');
    expect(misnamed.errors?.[0]).toMatchObject({ message: 'input.invoiceId: must be an invoice id', extensions: { code: 'BAD_USER_INPUT', field: 'input.invoiceId' } });
    await finance.data(`mutation { issueCreditNote(input: { invoiceId: "${octoberId}", amount: "0.05", reason: "an hour of outage" }) { number } }`);
    const invoice = await invoiceOf(octoberId);
    expect(invoice).toMatchObject({ status: 'FINALIZED', number: finalizeInvoice.number });

    const response = await get(`/invoices/${octoberId}.pdf`, keys.customer);
    expect(response.status).toBe(200);
    expect(response.headers.get('content-disposition')).toBe(`attachment; filename="${invoice.number}.pdf"`);
    const text = flat((await pdfPages(Buffer.from(await response.arrayBuffer()))).join('\n'));
    for (const expected of [invoice.number!, 'Acme Hosting', 'billing@acme.example', 'Cafe Blue', 'ops@cafe.example', `Account ${customerId}`, 'Tax (19%)', `${invoice.total.amount} EUR`, '0.05 EUR']) {
      expect(text).toContain(expected);
    }
    // Each line reads as a row: its description, quantity, unit price and amount, in that order.
    for (const line of invoice.lines) expect(text).toContain(flat(`${line.description} ${line.quantity} ${line.unit} ${line.unitPrice.amount} ${line.amount.amount}`));
    expect(text).not.toContain('DRAFT');

    const csv = await get(`/invoices/${octoberId}.csv`, keys.customer);
    expect(csv.headers.get('content-disposition')).toBe(`attachment; filename="${invoice.number}.csv"`);
    const [header, ...rows] = parseCsv(await csv.text());
    expect(header.slice(0, 3)).toEqual(['invoice_number', 'invoice_id', 'status']);
    const column = (name: string) => header.indexOf(name);
    expect(rows.map((row) => [row[column('invoice_number')], row[column('description')], row[column('amount')]]).sort())
      .toEqual(invoice.lines.map((line) => [invoice.number, line.description, line.amount.amount]).sort());
    expect(rows.every((row) => row[column('invoice_total')] === invoice.total.amount && row[column('credited')] === '0.05')).toBe(true);

    // Its reseller and ADMIN see it as invoice(id) shows it to them.
    for (const key of [keys.reseller, awan.adminKey]) expect((await get(`/invoices/${octoberId}.pdf`, key)).status).toBe(200);
  });

  it("names the platform as the issuer of a reseller's own invoice", async () => {
    const { invoices } = await admin.as(keys.reseller).data<{ invoices: { edges: { node: Invoice }[] } }>(`{ invoices(accountId: "${resellerId}") { edges { node { id periodStart } } } }`);
    const own = invoices.edges.map((e) => e.node).find((invoice) => invoice.periodStart.startsWith(`${MONTH}-01`))!;
    const response = await get(`/invoices/${own.id}.pdf`, keys.reseller);
    expect(response.status).toBe(200);
    const text = flat((await pdfPages(Buffer.from(await response.arrayBuffer()))).join('\n'));
    expect(text).toContain('Awan Cloud Platform');
    expect(text).toContain(`Account ${resellerId}`);
  });

  it('refuses whoever may not see an invoice as invoice(id) does: another tenant NOT_FOUND, no key or a wrong one UNAUTHENTICATED, a bad id naming it', async () => {
    for (const file of ['pdf', 'csv']) {
      const foreign = await get(`/invoices/${octoberId}.${file}`, keys.stranger);
      expect(foreign.status).toBe(404);
      expect(await refusal(foreign)).toMatchObject({ extensions: { code: 'NOT_FOUND' } });
      const anonymous = await get(`/invoices/${octoberId}.${file}`);
      expect(anonymous.status).toBe(401);
      expect(anonymous.headers.get('www-authenticate')).toBe('Bearer');
      expect(await refusal(anonymous)).toMatchObject({ extensions: { code: 'UNAUTHENTICATED' } });
      const revoked = await get(`/invoices/${octoberId}.${file}`, 'awan_not-a-key');
      expect(revoked.status).toBe(401);
      const bad = await get(`/invoices/not-an-invoice.${file}`, keys.customer);
      expect(bad.status).toBe(400);
      expect(await refusal(bad)).toMatchObject({ extensions: { code: 'BAD_USER_INPUT', field: 'id' } });
    }
  });

  it("gives finance the month's CSV of every invoice it sees, and no one else; a bad month names the field", async () => {
    const response = await get(`/invoices.csv?month=${MONTH}`, keys.finance);
    expect(response.status).toBe(200);
    expect(response.headers.get('content-disposition')).toBe(`attachment; filename="invoices-${MONTH}.csv"`);
    const [header, ...rows] = parseCsv(await response.text());
    const accountOf = header.indexOf('account_id');
    // The customer's invoice, and the reseller's own from the platform (its customers' usage at platform prices).
    expect(rows.filter((row) => row[header.indexOf('invoice_id')] === octoberId)).toHaveLength(LINES);
    expect(new Set(rows.map((row) => row[accountOf]))).toEqual(new Set([customerId, resellerId]));

    const customer = await get(`/invoices.csv?month=${MONTH}`, keys.customer);
    expect(customer.status).toBe(403);
    expect(await refusal(customer)).toMatchObject({ extensions: { code: 'FORBIDDEN' } });
    for (const query of ['?month=October', '']) {
      const bad = await get(`/invoices.csv${query}`, keys.finance);
      expect(bad.status).toBe(400);
      expect(await refusal(bad)).toMatchObject({ extensions: { code: 'BAD_USER_INPUT', field: 'month' } });
    }
    expect((await get(`/invoices.csv?month=${MONTH}`)).status).toBe(401);
  });

  it('holds these routes to the account\'s share of the gateway as /graphql: 2 expensive requests at once, RATE_LIMITED beyond', async () => {
    const answers = await Promise.all(Array.from({ length: 12 }, () => get(`/invoices/${octoberId}.pdf`, keys.customer)));
    const statuses = answers.map((response) => response.status);
    expect(statuses.filter((status) => status === 200).length).toBeGreaterThanOrEqual(2);
    const limited = answers.filter((response) => response.status === 429);
    expect(limited.length).toBeGreaterThan(0);
    expect(statuses.every((status) => status === 200 || status === 429)).toBe(true);
    expect(limited[0].headers.get('retry-after')).toBe('1');
    expect(await refusal(limited[0])).toMatchObject({ extensions: { code: 'RATE_LIMITED' } });
  });
});
