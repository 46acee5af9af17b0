import { once } from 'node:events';
import { createWriteStream, renameSync, rmSync } from 'node:fs';
import type { Command } from 'commander';
import { ApiError, UsageError } from '../cli-errors.js';
import { action, choiceOption, decimal, pageOf, paged, type CliIo, type Session } from '../command-kit.js';
import type { PageVariables } from '../graphql/operation.js';
import { formatFields, formatTable, money } from '../output/table.js';
import {
  finalizeInvoice, INVOICE_STATUSES, invoice, invoices, issueCreditNote, markInvoicePaid, upcomingInvoice, voidInvoice,
  type CreditNote, type Invoice, type InvoiceDetail, type InvoiceStatus,
} from './invoices.operations.js';

export const invoicesTable = (rows: Invoice[]) =>
  formatTable(rows, [
    { header: 'ID', value: (i) => i.id },
    { header: 'NUMBER', value: (i) => i.number },
    { header: 'ACCOUNT', value: (i) => i.account.name },
    { header: 'STATUS', value: (i) => i.status },
    { header: 'PERIOD', value: (i) => `${i.periodStart.slice(0, 10)} to ${i.periodEnd.slice(0, 10)}` },
    { header: 'TOTAL', value: (i) => money(i.total), align: 'right' },
    { header: 'ISSUED', value: (i) => i.issuedAt },
    { header: 'PAID', value: (i) => i.paidAt },
  ]);

const creditNotesTable = (rows: CreditNote[]) =>
  formatTable(rows, [
    { header: 'NUMBER', value: (c) => c.number },
    { header: 'AMOUNT', value: (c) => money(c.amount), align: 'right' },
    { header: 'REASON', value: (c) => c.reason },
    { header: 'ISSUED', value: (c) => c.issuedAt },
  ]);

/** An invoice as a reader checks it: who and when, each line (quantity × unit price = amount), the totals, its credit notes. */
export function invoiceText(i: InvoiceDetail): string {
  const head = formatFields([
    ['ID', i.id], ['Number', i.number], ['Account', `${i.account.name} (${i.account.id})`], ['Status', i.status],
    ['Period', `${i.periodStart} to ${i.periodEnd}`], ['Issued', i.issuedAt], ['Paid', i.paidAt],
  ]);
  const lines = formatTable(i.lines, [
    { header: 'DESCRIPTION', value: (l) => l.description },
    { header: 'SKU', value: (l) => l.sku },
    { header: 'QUANTITY', value: (l) => `${l.quantity} ${l.unit}`, align: 'right' },
    { header: 'UNIT PRICE', value: (l) => money(l.unitPrice), align: 'right' },
    { header: 'AMOUNT', value: (l) => money(l.amount), align: 'right' },
  ]);
  const totals = formatFields([['Subtotal', money(i.subtotal)], ['Tax', money(i.tax)], ['Total', money(i.total)]]);
  return [head, lines, totals, ...(i.creditNotes.length ? [`Credit notes:\n${creditNotesTable(i.creditNotes)}`] : [])].join('\n');
}

/** A document the gateway serves beside /graphql (`GET /invoices/<id>.pdf`, under the key's rules as invoice(id)), to a file or stdout. */
async function download(session: Session, route: string, out: string | undefined): Promise<void> {
  if (out === undefined || out === '-') {
    await session.client().download(route, session.io.stdout, { end: false });
    return;
  }
  // Written beside the file and put in its place once whole: a refusal, or a download cut short, leaves the file as it was.
  const part = `${out}.part`;
  try {
    const file = createWriteStream(part);
    // A file that cannot be written is told as such before anything is asked.
    await once(file, 'open');
    const bytes = await session.client().download(route, file);
    renameSync(part, out);
    session.note(`Wrote ${out} (${bytes} bytes).`);
  } catch (error) {
    rmSync(part, { force: true });
    throw error;
  }
}

/** Invoices: everyone reads their own; finance (and ADMIN) finalizes, voids, credits and marks them paid. */
export function registerInvoices(program: Command, io: CliIo): void {
  const group = program.command('invoices').description('invoices: list, get, upcoming, csv, pdf; finance finalizes, voids, credits, marks paid');
  action<PageVariables & { account?: string; status?: InvoiceStatus }>(
    paged(
      group
        .command('list')
        .description('the invoices you may see (drafted once a month has ended)')
        .option('--account <id>', "only this account's")
        .addOption(choiceOption('--status <status>', 'only this status', INVOICE_STATUSES)),
    ),
    io,
    async (session, { options }) => {
      session.printPage((await session.client().request(invoices, { ...pageOf(options), accountId: options.account, status: options.status })).invoices, invoicesTable);
    },
    { accountId: '--account', status: '--status', first: '--first', after: '--after' },
  );
  action(group.command('get').description('one invoice with its lines, totals and credit notes').argument('<id>', 'the invoice'), io, async (session, { args: [id] }) => {
    const found = (await session.client().request(invoice, { id })).invoice;
    if (!found) throw new ApiError('NOT_FOUND', `invoice ${id}`);
    session.print(found, invoiceText);
  });
  action<{ account?: string }>(
    group.command('upcoming').description("this month's invoice as it stands now, rated from usage to date").option('--account <id>', 'whose (default: yours)'),
    io,
    async (session, { options }) => {
      session.print((await session.client().request(upcomingInvoice, { accountId: options.account })).upcomingInvoice, invoiceText);
    },
    { accountId: '--account' },
  );
  action<{ out?: string; month?: string }>(
    group
      .command('csv')
      .description("an invoice as CSV, one row per line; or, for FINANCE and ADMIN, every invoice of a month they see")
      .argument('[id]', 'the invoice')
      .option('--month <YYYY-MM>', 'every invoice of this month instead (drafts included)')
      .option('-o, --out <file>', 'write it to this file (default: stdout)'),
    io,
    async (session, { args: [id], options }) => {
      if ((id === undefined) === (options.month === undefined)) throw new UsageError('invoices csv takes an invoice id or --month YYYY-MM (one of them)');
      const route = id === undefined ? `invoices.csv?month=${encodeURIComponent(options.month!)}` : `invoices/${encodeURIComponent(id)}.csv`;
      await download(session, route, options.out);
    },
    { month: '--month' },
  );
  action<{ out: string }>(
    group.command('pdf').description('an invoice as the PDF its customer is sent').argument('<id>', 'the invoice').requiredOption('-o, --out <file>', 'write it to this file (- for stdout)'),
    io,
    async (session, { args: [id], options }) => download(session, `invoices/${encodeURIComponent(id)}.pdf`, options.out),
  );
  action(group.command('finalize').description('finalize a draft once its month has ended: it gets its number and is sent').argument('<id>', 'the invoice'), io, async (session, { args: [id] }) => {
    session.print((await session.client().request(finalizeInvoice, { id })).finalizeInvoice, invoiceText);
  });
  action<{ reason: string }>(
    group.command('void').description('void an invoice').argument('<id>', 'the invoice').requiredOption('--reason <text>', 'why'),
    io,
    async (session, { args: [id], options }) => {
      session.print((await session.client().request(voidInvoice, { id, reason: options.reason })).voidInvoice, invoiceText);
    },
    { reason: '--reason' },
  );
  action<{ amount: string; reason: string }>(
    group
      .command('credit')
      .description('issue a credit note against a finalized invoice')
      .argument('<id>', 'the invoice')
      .requiredOption('--amount <amount>', "in the invoice's currency, e.g. 5.00", decimal)
      .requiredOption('--reason <text>', 'why'),
    io,
    async (session, { args: [id], options }) => {
      const { issueCreditNote: note } = await session.client().request(issueCreditNote, { input: { invoiceId: id, amount: options.amount, reason: options.reason } });
      session.print(note, (c) => formatFields([['Credit note', c.number], ['ID', c.id], ['Invoice', c.invoice.number ?? c.invoice.id], ['Amount', money(c.amount)], ['Reason', c.reason], ['Issued', c.issuedAt]]));
    },
    { 'input.amount': '--amount', 'input.reason': '--reason', 'input.invoiceId': '<id>' },
  );
  action<{ reference: string }>(
    group.command('pay').description('mark an invoice paid outside Stripe (a bank transfer)').argument('<id>', 'the invoice').requiredOption('--reference <ref>', "the payment's own reference"),
    io,
    async (session, { args: [id], options }) => {
      session.print((await session.client().request(markInvoicePaid, { id, reference: options.reference })).markInvoicePaid, invoiceText);
    },
    { reference: '--reference' },
  );
}
