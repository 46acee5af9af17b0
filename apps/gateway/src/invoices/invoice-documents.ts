import { AppError, MONTH_CSV_BATCH, PLATFORM_ISSUER, PLATFORM_SCOPE, type Caller } from '#libs/contracts';
import type { GatewayServiceClient } from '../graphql/service-calls.js';
import type { AccountView, Identity, Viewer } from '../identity/identity.js';
import { renderInvoicePdf, type InvoiceParty } from './invoice-pdf.js';

/** How long billing has to answer for one invoice (a draft is rated live), or with a month's invoice ids. */
const INVOICE_TIMEOUT_MS = 15_000;
/** A batch of a month's CSV rows may rate a hundred drafts live. */
const BATCH_TIMEOUT_MS = 30_000;

/** A document as the gateway sends it: whole, or as it is made. */
export interface InvoiceFile {
  filename: string;
  contentType: string;
  body: Buffer | string | AsyncIterable<string>;
}

const CSV = 'text/csv; charset=utf-8; header=present';
const PDF = 'application/pdf';

/** Billing's CSV starts each row with the invoice's number (empty on a draft): its first row's names the file. */
function numberInCsv(csv: string): string | null {
  const number = csv.split('\r\n')[1]?.split(',')[0] ?? '';
  return /^[A-Za-z0-9-]+$/.test(number) ? number : null;
}

/** A finalized invoice's file is named by its number; a draft, not numbered yet, by its id. */
const fileName = (number: string | null, id: string, extension: string) => `${number ?? `draft-${id}`}.${extension}`;

const party = (account: AccountView): InvoiceParty => ({ id: account.id, name: account.name, email: account.email });

/**
 * An invoice as files to keep or send: billing's CSV, or a PDF made here from billing's invoice
 * and identity's accounts. Billing answers only for invoices in the caller's scope (as `invoice(id)`
 * does: another tenant's is NOT_FOUND); a month's CSV is finance's, or ADMIN's.
 */
export class InvoiceDocuments {
  constructor(
    private readonly client: GatewayServiceClient,
    private readonly identity: Identity,
  ) {}

  async csv(caller: Caller, id: string): Promise<InvoiceFile> {
    const { csv } = await this.client.call('billing.invoice.csv', { ...caller, id }, INVOICE_TIMEOUT_MS);
    return { filename: fileName(numberInCsv(csv), id, 'csv'), contentType: CSV, body: csv };
  }

  /**
   * Every invoice of a month (`YYYY-MM`) in the caller's scope, drafts included; billing checks the
   * month. Its ids are listed first, then their rows asked MONTH_CSV_BATCH invoices at a time and sent
   * as they come, so that neither billing nor the gateway holds the whole month (165 MB at 10,000 invoices).
   */
  async monthCsv(viewer: Viewer, caller: Caller, month: unknown): Promise<InvoiceFile> {
    if (viewer.role !== 'ADMIN' && viewer.role !== 'FINANCE') throw new AppError('FORBIDDEN', `a ${viewer.role} key cannot export a month's invoices`);
    const { ids } = await this.client.call('billing.invoice.monthIds', { ...caller, month: month as string }, INVOICE_TIMEOUT_MS);
    const rows = monthCsvRows(ids, async (batch, header) => (await this.client.call('billing.invoice.csvRows', { ...caller, ids: batch, header }, BATCH_TIMEOUT_MS)).csv);
    return { filename: `invoices-${month as string}.csv`, contentType: CSV, body: rows };
  }

  /** The PDF a customer is sent: from its issuer (the platform, or the reseller it buys from), with its tax rate. */
  async pdf(caller: Caller, id: string): Promise<InvoiceFile> {
    const invoice = await this.client.call('billing.invoice.get', { ...caller, id }, INVOICE_TIMEOUT_MS);
    const [customer, issuer] = await Promise.all([
      this.account(invoice.accountId),
      invoice.issuerId === PLATFORM_ISSUER ? this.identity.platformAccount() : this.account(invoice.issuerId),
    ]);
    // Identity never changes an account's tax rate: the one billing taxed this invoice at.
    const body = await renderInvoicePdf({ invoice, issuer: party(issuer), customer: party(customer), taxRate: customer.taxRate });
    return { filename: fileName(invoice.number, invoice.id, 'pdf'), contentType: PDF, body };
  }

  /** An account an invoice names, whether the caller sees it or not (a customer does not see its reseller). */
  private async account(id: string): Promise<AccountView> {
    const account = await this.identity.account(id, { accountIds: PLATFORM_SCOPE });
    if (!account) throw new AppError('INTERNAL', `account ${id} of an invoice is not in identity`);
    return account;
  }
}

/** A month's CSV, the header and then its invoices' rows, asked of `rowsOf` MONTH_CSV_BATCH invoices at a time. */
export function monthCsvRows(ids: readonly string[], rowsOf: (batch: string[], header: boolean) => Promise<string>): AsyncGenerator<string> {
  // An empty month is one batch still: its header.
  const batches = Array.from({ length: Math.max(1, Math.ceil(ids.length / MONTH_CSV_BATCH)) }, (_, i) => ids.slice(i * MONTH_CSV_BATCH, (i + 1) * MONTH_CSV_BATCH));
  return answersInOrder(batches, (batch, index) => rowsOf(batch, index === 0));
}

/**
 * Each batch's answer in order, the next batch asked while the one before is being sent: at most
 * two answers are held at once. Stopped early (the client went away), it asks for nothing more.
 */
export async function* answersInOrder<T, R>(batches: readonly T[], ask: (batch: T, index: number) => Promise<R>): AsyncGenerator<R> {
  let next = batches.length > 0 ? ask(batches[0], 0) : undefined;
  for (let index = 0; next; index++) {
    const current = next;
    next = index + 1 < batches.length ? ask(batches[index + 1], index + 1) : undefined;
    // Should the client go away first, nobody awaits this answer: its failure is not an unhandled one.
    next?.catch(() => undefined);
    yield await current;
  }
}
