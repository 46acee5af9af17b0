import { formatMinor, parseMinor } from '../money/money.js';
import type { InvoiceLineView, InvoiceView } from '#libs/contracts';

const HEADER = [
  'invoice_number', 'invoice_id', 'status', 'account_id', 'issuer_id', 'currency', 'period_start', 'period_end', 'issued_at', 'paid_at',
  'line_id', 'description', 'resource_type', 'resource_id', 'resource_account_id', 'sku', 'quantity', 'unit', 'unit_price', 'amount',
  'invoice_subtotal', 'invoice_tax', 'invoice_total', 'credited',
];

/**
 * RFC 4180: a field with a comma, quote or line break is quoted, quotes doubled. Text that a
 * spreadsheet would run as a formula (=, +, -, @ first) gets a leading apostrophe; amounts,
 * which may be negative, are numbers and never text a customer chose.
 */
function field(value: string | null, text = true): string {
  let out = value ?? '';
  if (text && /^[=+\-@\t\r]/.test(out)) out = `'${out}`;
  return /[",\r\n]/.test(out) ? `"${out.replace(/"/g, '""')}"` : out;
}

/** What a row shows of a line: not its usage, which a finalized invoice's export never reads. */
export type CsvLine = Pick<InvoiceLineView, 'id' | 'description' | 'resourceType' | 'resourceId' | 'accountId' | 'sku' | 'quantity' | 'unit' | 'unitPrice' | 'amount'>;

/** What a row shows of an invoice. */
export type CsvInvoice = Omit<InvoiceView, 'lines' | 'paymentReference'> & { lines: readonly CsvLine[] };

/** The export's first row, the columns' names. */
export const CSV_HEADER = `${HEADER.join(',')}\r\n`;

const credited = (invoice: CsvInvoice) =>
  formatMinor(invoice.creditNotes.reduce((sum, note) => sum + parseMinor(note.amount, 'amount', invoice.currency), 0n), invoice.currency);

/** One row per invoice line (an invoice without lines still has its row), the invoice's totals repeated on each; no header. */
export function invoiceCsvRows(invoices: readonly CsvInvoice[]): string {
  const rows: string[] = [];
  for (const invoice of invoices) {
    const head = [invoice.number, invoice.id, invoice.status, invoice.accountId, invoice.issuerId, invoice.currency, invoice.periodStart, invoice.periodEnd, invoice.issuedAt, invoice.paidAt].map((v) => field(v));
    const totals = [invoice.subtotal, invoice.tax, invoice.total, credited(invoice)].map((v) => field(v, false));
    const lines = invoice.lines.length > 0 ? invoice.lines : [null];
    for (const line of lines) {
      const cells = line
        ? [field(line.id), field(line.description), field(line.resourceType), field(line.resourceId), field(line.accountId), field(line.sku),
            field(line.quantity, false), field(line.unit), field(line.unitPrice, false), field(line.amount, false)]
        : Array(10).fill('');
      rows.push(`${[...head, ...cells, ...totals].join(',')}\r\n`);
    }
  }
  return rows.join('');
}

/** The invoices as a CSV file: the header, then their rows. */
export const invoiceCsv = (invoices: readonly CsvInvoice[]): string => CSV_HEADER + invoiceCsvRows(invoices);
