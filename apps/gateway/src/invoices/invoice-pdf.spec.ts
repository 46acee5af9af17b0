import { inflateSync } from 'node:zlib';
import type { InvoiceLineView, InvoiceView } from '#libs/contracts';
import { percentOf, renderInvoicePdf, type InvoiceDocument } from './invoice-pdf.js';

/**
 * The text of each page, in drawing order, a string per text run. pdfkit writes a page's text
 * with the standard fonts as hex strings of Windows-1252 codes inside TJ arrays, in a Flate stream.
 */
function pagesOf(pdf: Buffer): string[] {
  const raw = pdf.toString('latin1');
  const streams = new Map<string, string>();
  for (const match of raw.matchAll(/(\d+) 0 obj\s*<<((?:(?!endobj)[^])*?)>>\s*stream\r?\n/g)) {
    const start = match.index + match[0].length;
    const length = Number(/\/Length (\d+)/.exec(match[2])?.[1]);
    const body = pdf.subarray(start, start + length);
    streams.set(match[1], match[2].includes('/FlateDecode') ? inflateSync(body).toString('latin1') : body.toString('latin1'));
  }
  return [...raw.matchAll(/\/Type \/Page\b[^]*?\/Contents (\d+) 0 R/g)].map(([, id]) => {
    const content = streams.get(id) ?? '';
    const runs = [...content.matchAll(/\[([^\]]*)\] TJ/g)].map(([, array]) =>
      [...array.matchAll(/<([0-9a-f]*)>/g)].map(([, hex]) => Buffer.from(hex, 'hex').toString('latin1')).join(''));
    return runs.join('\n');
  });
}

/** The words as a reader sees them: a description wrapped over two rows reads as one. */
const flat = (text: string) => text.replace(/\s+/g, ' ');

const line = (i: number, amount: string, unitPrice = '0.0119'): InvoiceLineView => ({
  id: `line-${i}`, description: `Cafe Blue: web-${i} (ct-512m, hourly) at ${unitPrice} an hour, 60 s added (the minimum or the started hour), October 2026`,
  resourceId: `r-${i}`, resourceType: 'INSTANCE', accountId: 'c1', sku: 'ct-512m', quantity: '47.998611', unit: 'hour', unitPrice, amount,
  periodStart: '2026-10-01T00:00:00.000Z', periodEnd: '2026-11-01T00:00:00.000Z', usage: [],
});

const invoice = (overrides: Partial<InvoiceView>): InvoiceView => ({
  id: '9b2f0d2e-51a4-4c39-8f0e-000000000001', number: 'ACME-1A2B-2026-000007', accountId: 'c1', issuerId: 'r1', status: 'FINALIZED', currency: 'EUR',
  periodStart: '2026-10-01T00:00:00.000Z', periodEnd: '2026-11-01T00:00:00.000Z', lines: [], subtotal: '0.00', tax: '0.00', total: '0.00',
  issuedAt: '2026-11-02T10:00:00.000Z', paidAt: null, paymentReference: null, creditNotes: [], ...overrides,
});

const document = (overrides: Partial<InvoiceView>): InvoiceDocument => ({
  invoice: invoice(overrides),
  issuer: { id: 'r1', name: 'Acme Hosting', email: 'billing@acme.example' },
  customer: { id: 'c1', name: 'Café Blue', email: 'ops@cafe.example' },
  taxRate: '0.19',
});

describe('renderInvoicePdf', () => {
  it("prints a finalized invoice's issuer, customer, number, dates, lines, totals and credit notes, every amount as billing wrote it", async () => {
    // Amounts no float holds exactly: printed from the strings, they keep every digit.
    const lines = [line(1, '90071992547409.93', '0.0000000001'), line(2, '0.57'), line(3, '-0.10')];
    const pdf = await renderInvoicePdf(document({
      lines, subtotal: '90071992547410.40', tax: '17113678584008.98', total: '107185671131419.38',
      creditNotes: [{ id: 'n1', number: 'ACME-1A2B-CN-2026-000001', invoiceId: 'i', amount: '1.05', currency: 'EUR', reason: 'an hour of outage', issuedAt: '2026-11-05T08:00:00.000Z' }],
    }));
    expect(pdf.subarray(0, 5).toString()).toBe('%PDF-');
    const pages = pagesOf(pdf);
    expect(pages).toHaveLength(1);
    const text = flat(pages[0]);
    for (const expected of [
      'Acme Hosting', 'billing@acme.example', 'Café Blue', 'ops@cafe.example', 'Account c1',
      'ACME-1A2B-2026-000007', 'FINALIZED', '2026-11-02', '2026-10-01 to 2026-10-31', 'Unit price (EUR)', 'Amount (EUR)',
      'Subtotal', '90071992547410.40', 'Tax (19%)', '17113678584008.98', 'Total', '107185671131419.38 EUR',
      'ACME-1A2B-CN-2026-000001, 2026-11-05: an hour of outage', '1.05 EUR',
    ]) expect(text).toContain(expected);
    for (const l of lines) {
      expect(text).toContain(flat(l.description));
      expect(text).toContain(`${l.quantity} ${l.unit}`);
      expect(pages[0].split('\n')).toEqual(expect.arrayContaining([l.unitPrice, l.amount]));
    }
    expect(text).not.toContain('DRAFT');
  });

  it('says DRAFT on every page of a draft long enough for three, and puts every line on one of them once', async () => {
    const lines = Array.from({ length: 50 }, (_, i) => line(i, `${i}.${String(i).padStart(2, '0')}`));
    const pages = pagesOf(await renderInvoicePdf(document({ status: 'DRAFT', number: null, issuedAt: null, lines, subtotal: '1249.75', tax: '237.45', total: '1487.20' })));
    expect(pages.length).toBeGreaterThanOrEqual(3);
    for (const [i, page] of pages.entries()) {
      expect(page.split('\n')).toContain('DRAFT');
      expect(page).toContain(`page ${i + 1} of ${pages.length}`);
    }
    const all = flat(pages.join('\n'));
    for (const l of lines) expect(all.split(flat(l.description)).length - 1).toBe(1);
    expect(flat(pages[0])).toContain('none yet (numbered when finalized)');
    expect(flat(pages.at(-1)!)).toContain('1487.20 EUR');
    // The table's head goes on with it.
    for (const page of pages.slice(1)) expect(page).toContain('Amount (EUR)');
  });

  it('says what a paid and a void invoice are, and prints an empty one', async () => {
    const paid = flat(pagesOf(await renderInvoicePdf(document({ status: 'PAID', paidAt: '2026-11-20T09:00:00.000Z', paymentReference: 'bank-42' })))[0]);
    expect(paid).toContain('2026-11-20, reference bank-42');
    const voided = flat(pagesOf(await renderInvoicePdf(document({ status: 'VOID' })))[0]);
    expect(voided).toContain('This invoice is VOID');
    expect(voided).toContain('No usage in this period.');
  });

  it('prints a character the standard fonts lack as ?, never as another one', async () => {
    const doc = document({});
    doc.customer = { ...doc.customer, name: 'Ωmega Café' };
    expect(flat(pagesOf(await renderInvoicePdf(doc))[0])).toContain('?mega Café');
  });
});

describe('percentOf', () => {
  it('moves the decimal point of a tax rate', () => {
    expect(['0.19', '0.075', '0', '1', '0.000001', '0.190000', '0.5'].map(percentOf)).toEqual(['19%', '7.5%', '0%', '100%', '0.0001%', '19%', '50%']);
  });
});
