import PDFDocument from 'pdfkit';
import type { InvoiceView } from '#libs/contracts';

/** Who an invoice is from or to, as identity knows the account. */
export interface InvoiceParty {
  id: string;
  name: string;
  email: string | null;
}

export interface InvoiceDocument {
  invoice: InvoiceView;
  /** The platform, for resellers and its own customers; the reseller, for its customers. */
  issuer: InvoiceParty;
  customer: InvoiceParty;
  /** The customer's tax rate ("0.19"), the one billing taxed the subtotal at. */
  taxRate: string;
}

const PAGE = { width: 595.28, height: 841.89 }; // A4
const MARGIN = 50;
const CONTENT_WIDTH = PAGE.width - 2 * MARGIN;
/** The lowest a row of content may reach: the footer is below it. */
const CONTENT_BOTTOM = PAGE.height - MARGIN - 24;
const FONT = 'Helvetica';
const BOLD = 'Helvetica-Bold';
const GREY = '#555555';
const TABLE = [
  { title: 'Description', width: 235, align: 'left' },
  { title: 'Quantity', width: 85, align: 'right' },
  { title: 'Unit price', width: 90, align: 'right' },
  { title: 'Amount', width: 85, align: 'right' },
] as const;
const GUTTER = (CONTENT_WIDTH - TABLE.reduce((sum, column) => sum + column.width, 0)) / (TABLE.length - 1);

/**
 * The standard PDF fonts (which need no font file) hold Windows-1252's characters only: any other
 * is printed as '?', never as another character's glyph.
 */
const WIN_ANSI_EXTRA = new Set('€‚ƒ„…†‡ˆ‰Š‹ŒŽ‘’“”•–—˜™š›œžŸ');
const printable = (text: string) =>
  [...text].map((c) => (c === '\n' || (c >= ' ' && c <= '~') || (c >= '\u00a0' && c <= '\u00ff') || WIN_ANSI_EXTRA.has(c) ? c : '?')).join('');

/** A rate as a percentage, by moving the decimal point: "0.19" → "19%", "0.075" → "7.5%". */
export function percentOf(rate: string): string {
  const [whole, fraction = ''] = rate.trim().split('.');
  const digits = whole + fraction.padEnd(2, '0');
  const integer = digits.slice(0, whole.length + 2).replace(/^0+(?=\d)/, '');
  const rest = digits.slice(whole.length + 2).replace(/0+$/, '');
  return `${integer}${rest ? `.${rest}` : ''}%`;
}

/** The calendar day of an ISO time, in UTC (the time billing's months are in). */
const day = (iso: string) => iso.slice(0, 10);
/** An invoice's period ends at the first second after it: its last day is the one before. */
const lastDay = (periodEnd: string) => day(new Date(Date.parse(periodEnd) - 1).toISOString());

/**
 * The invoice as the PDF a customer is sent: issuer and customer, number, dates, a line per
 * invoice line (quantity, unit price, amount), subtotal, tax, total, credit notes and status.
 * Every amount is billing's exact decimal string as it came, never computed here. A DRAFT says
 * so on every page, across the page and in its footer.
 */
export function renderInvoicePdf(document: InvoiceDocument): Promise<Buffer> {
  const { invoice, issuer, customer } = document;
  const draft = invoice.status === 'DRAFT';
  const title = invoice.number ? `Invoice ${invoice.number}` : `Draft invoice ${invoice.id}`;
  const doc = new PDFDocument({
    size: 'A4',
    margin: MARGIN,
    bufferPages: true,
    // A document made again from the same invoice says it was made when the invoice was issued.
    info: { Title: printable(title), Author: printable(issuer.name), CreationDate: invoice.issuedAt ? new Date(invoice.issuedAt) : new Date() },
  });
  const chunks: Buffer[] = [];
  doc.on('data', (chunk: Buffer) => chunks.push(chunk));
  const done = new Promise<Buffer>((resolve, reject) => {
    doc.on('end', () => resolve(Buffer.concat(chunks)));
    doc.on('error', reject);
  });

  const text = (value: string, x: number, y: number, options: PDFKit.Mixins.TextOptions = {}) => doc.text(printable(value), x, y, { lineBreak: true, ...options });
  const heightOf = (value: string, width: number) => doc.heightOfString(printable(value), { width });

  // Head: who issues it (left), what it is (right).
  doc.font(BOLD).fontSize(18).fillColor('black');
  text(issuer.name, MARGIN, MARGIN, { width: 300 });
  doc.font(FONT).fontSize(9).fillColor(GREY);
  if (issuer.email) text(issuer.email, MARGIN, doc.y + 2, { width: 300 });
  const headBottom = doc.y;
  doc.font(BOLD).fontSize(20).fillColor(draft ? '#b00020' : 'black');
  text(draft ? 'DRAFT INVOICE' : 'INVOICE', MARGIN + 300, MARGIN, { width: CONTENT_WIDTH - 300, align: 'right' });

  // Who it is for, and the invoice's facts.
  let y = Math.max(headBottom, doc.y) + 24;
  doc.font(BOLD).fontSize(9).fillColor(GREY);
  text('BILL TO', MARGIN, y);
  doc.font(BOLD).fontSize(11).fillColor('black');
  text(customer.name, MARGIN, doc.y + 2, { width: 220 });
  doc.font(FONT).fontSize(9);
  if (customer.email) text(customer.email, MARGIN, doc.y + 1, { width: 220 });
  text(`Account ${customer.id}`, MARGIN, doc.y + 1, { width: 220 });
  const billToBottom = doc.y;

  const facts: [string, string][] = [
    ['Invoice number', invoice.number ?? 'none yet (numbered when finalized)'],
    ['Status', invoice.status],
    ['Issued', invoice.issuedAt ? day(invoice.issuedAt) : 'not yet'],
    ['Period', `${day(invoice.periodStart)} to ${lastDay(invoice.periodEnd)}`],
    ['Currency', invoice.currency],
  ];
  if (invoice.paidAt) facts.push(['Paid', `${day(invoice.paidAt)}${invoice.paymentReference ? `, reference ${invoice.paymentReference}` : ''}`]);
  facts.push(['Invoice id', invoice.id]);
  let factY = y;
  for (const [label, value] of facts) {
    doc.font(FONT).fontSize(9).fillColor(GREY);
    text(label, MARGIN + 235, factY, { width: 75 });
    doc.font(label === 'Invoice number' || label === 'Status' ? BOLD : FONT).fillColor('black');
    text(value, MARGIN + 315, factY, { width: CONTENT_WIDTH - 315 });
    factY = doc.y + 3;
  }

  // The lines, a row each, the table's head again on every page it goes on to.
  const columnX = TABLE.map((_, i) => MARGIN + TABLE.slice(0, i).reduce((sum, column) => sum + column.width + GUTTER, 0));
  const row = (cells: readonly string[], top: number) => {
    let bottom = top;
    cells.forEach((cell, i) => {
      text(cell, columnX[i], top, { width: TABLE[i].width, align: TABLE[i].align });
      bottom = Math.max(bottom, doc.y);
    });
    return bottom;
  };
  const tableHead = (top: number) => {
    doc.font(BOLD).fontSize(9).fillColor('black');
    const bottom = row(TABLE.map((column, i) => (i >= 2 ? `${column.title} (${invoice.currency})` : column.title)), top);
    doc.moveTo(MARGIN, bottom + 2).lineTo(MARGIN + CONTENT_WIDTH, bottom + 2).lineWidth(0.7).strokeColor('black').stroke();
    return bottom + 6;
  };
  /** Where a block of `height` starts: here, or at the top of a new page (with the table's head when `head`). */
  const room = (top: number, height: number, head: boolean) => {
    if (top + height <= CONTENT_BOTTOM) return top;
    doc.addPage();
    doc.font(FONT).fontSize(9).fillColor(GREY);
    text(`${title}, continued`, MARGIN, MARGIN, { width: CONTENT_WIDTH });
    return head ? tableHead(doc.y + 10) : doc.y + 10;
  };

  y = tableHead(Math.max(billToBottom, factY) + 24);
  if (invoice.lines.length === 0) {
    doc.font(FONT).fontSize(9).fillColor(GREY);
    text('No usage in this period.', MARGIN, y);
    y = doc.y + 4;
  }
  for (const line of invoice.lines) {
    doc.font(FONT).fontSize(9);
    y = room(y, heightOf(line.description, TABLE[0].width) + 4, true);
    doc.font(FONT).fontSize(9).fillColor('black');
    y = row([line.description, `${line.quantity} ${line.unit}`, line.unitPrice, line.amount], y) + 4;
  }

  // Totals, right-aligned under the amounts.
  const taxLabel = `Tax (${percentOf(document.taxRate)})`;
  y = room(y + 4, 60, false);
  doc.moveTo(MARGIN + 235, y).lineTo(MARGIN + CONTENT_WIDTH, y).lineWidth(0.7).strokeColor('black').stroke();
  y += 6;
  for (const [label, amount, bold] of [['Subtotal', invoice.subtotal, false], [taxLabel, invoice.tax, false], ['Total', `${invoice.total} ${invoice.currency}`, true]] as const) {
    doc.font(bold ? BOLD : FONT).fontSize(bold ? 11 : 9).fillColor('black');
    text(label, MARGIN + 235, y, { width: 100 });
    const bottom = doc.y;
    text(amount, MARGIN + 335, y, { width: CONTENT_WIDTH - 335, align: 'right' });
    y = Math.max(bottom, doc.y) + 4;
  }

  if (invoice.creditNotes.length > 0) {
    y = room(y + 16, 40, false);
    doc.font(BOLD).fontSize(11).fillColor('black');
    text('Credit notes issued against this invoice', MARGIN, y);
    y = doc.y + 6;
    for (const note of invoice.creditNotes) {
      const described = `${note.number}, ${day(note.issuedAt)}: ${note.reason}`;
      doc.font(FONT).fontSize(9);
      y = room(y, heightOf(described, 380) + 4, false);
      doc.font(FONT).fontSize(9).fillColor('black');
      text(described, MARGIN, y, { width: 380 });
      const bottom = doc.y;
      text(`${note.amount} ${note.currency}`, MARGIN + 380, y, { width: CONTENT_WIDTH - 380, align: 'right' });
      y = Math.max(bottom, doc.y) + 4;
    }
  }

  if (invoice.status === 'VOID') {
    y = room(y + 16, 20, false);
    doc.font(BOLD).fontSize(11).fillColor('#b00020');
    text('This invoice is VOID: nothing is owed on it.', MARGIN, y);
  }

  // On every page: a DRAFT across it, and a footer saying which invoice and which page.
  const { start, count } = doc.bufferedPageRange();
  for (let page = start; page < start + count; page++) {
    doc.switchToPage(page);
    if (draft) {
      doc.save();
      doc.rotate(-35, { origin: [PAGE.width / 2, PAGE.height / 2] });
      doc.font(BOLD).fontSize(120).fillColor('#b00020').fillOpacity(0.18);
      doc.text('DRAFT', 0, PAGE.height / 2 - 60, { width: PAGE.width, align: 'center', lineBreak: false });
      doc.restore();
    }
    doc.font(FONT).fontSize(8).fillColor(GREY).fillOpacity(1);
    const footer = `${draft ? 'DRAFT, not an invoice until finalized. ' : ''}${title}, page ${page - start + 1} of ${count}`;
    // Written inside the bottom margin, where pdfkit would otherwise start a new page.
    const bottomMargin = doc.page.margins.bottom;
    doc.page.margins.bottom = 0;
    text(footer, MARGIN, PAGE.height - MARGIN, { width: CONTENT_WIDTH, align: 'center', lineBreak: false });
    doc.page.margins.bottom = bottomMargin;
  }
  doc.end();
  return done;
}
