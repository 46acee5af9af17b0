import { AppError, PLATFORM_ISSUER, PLATFORM_SCOPE, type Caller } from '#libs/contracts';
import type { GatewayServiceClient } from '../graphql/service-calls.js';
import type { AccountView, Identity, Viewer } from '../identity/identity.js';
import { renderInvoicePdf, type InvoiceParty } from './invoice-pdf.js';

/** How long billing has to answer for one invoice: a draft is rated live. */
const INVOICE_TIMEOUT_MS = 15_000;
/** A month's CSV rates every draft of the month in the caller's scope. */
const MONTH_TIMEOUT_MS = 60_000;

/** A document as the gateway sends it. */
export interface InvoiceFile {
  filename: string;
  contentType: string;
  body: Buffer | string;
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

  /** Every invoice of a month (`YYYY-MM`) in the caller's scope, drafts included; billing checks the month. */
  async monthCsv(viewer: Viewer, caller: Caller, month: unknown): Promise<InvoiceFile> {
    if (viewer.role !== 'ADMIN' && viewer.role !== 'FINANCE') throw new AppError('FORBIDDEN', `a ${viewer.role} key cannot export a month's invoices`);
    const { csv } = await this.client.call('billing.invoice.csvOfMonth', { ...caller, month: month as string }, MONTH_TIMEOUT_MS);
    return { filename: `invoices-${month as string}.csv`, contentType: CSV, body: csv };
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
