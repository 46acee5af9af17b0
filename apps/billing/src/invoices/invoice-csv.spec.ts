import { invoiceCsv } from './invoice-csv.js';
import type { InvoiceView } from '#libs/contracts';

const invoice: InvoiceView = {
  id: 'inv-1', number: 'AWN-2026-000007', accountId: 'acct-1', issuerId: 'platform', status: 'FINALIZED', currency: 'EUR',
  periodStart: '2026-09-01T00:00:00.000Z', periodEnd: '2026-10-01T00:00:00.000Z', subtotal: '1.48', tax: '0.28', total: '1.76',
  issuedAt: '2026-10-02T00:00:00.000Z', paidAt: null, paymentReference: null,
  creditNotes: [{ id: 'cn', number: 'AWN-CN-2026-000001', invoiceId: 'inv-1', amount: '0.50', currency: 'EUR', reason: 'r', issuedAt: '2026-10-03T00:00:00.000Z' }],
  lines: [
    { id: 'l1', description: 'web, "blue" (ct-512m, hourly), September 2026', resourceId: 'r1', resourceType: 'INSTANCE', accountId: 'acct-1', sku: 'ct-512m',
      quantity: '48.000000', unit: 'hour', unitPrice: '0.01', amount: '0.48', periodStart: '', periodEnd: '', usage: [] },
    { id: 'l2', description: '=HYPERLINK("x")', resourceId: 'r2', resourceType: 'INSTANCE', accountId: 'acct-1', sku: 'ct-1g',
      quantity: '1.000000', unit: 'month', unitPrice: '4.00', amount: '-1.00', periodStart: '', periodEnd: '', usage: [] },
  ],
};

describe('invoice CSV', () => {
  it('writes one row per line with the invoice\'s totals, quoted as RFC 4180 says, formulas defused', () => {
    const [header, first, second, end] = invoiceCsv([invoice]).split('\r\n');
    expect(header.split(',')).toHaveLength(24);
    expect(first).toContain('AWN-2026-000007,inv-1,FINALIZED');
    expect(first).toContain(',"web, ""blue"" (ct-512m, hourly), September 2026",');
    expect(first.endsWith(',0.48,1.48,0.28,1.76,0.50')).toBe(true);
    // Text a customer chose cannot become a formula; a negative amount stays a number.
    expect(second).toContain(`,"'=HYPERLINK(""x"")",`);
    expect(second).toContain(',-1.00,');
    expect(end).toBe('');
  });

  it('follows the lines: a cap line and a reversal are rows whose quantity, unit price and amount stay numbers', () => {
    const line = invoice.lines[0];
    const rows = invoiceCsv([{ ...invoice, lines: [
      { ...line, id: 'l3', description: 'web, monthly cap of 4.00 (ct-512m)', quantity: '1', unit: 'cap', unitPrice: '-0.46', amount: '-0.46' },
      { ...line, id: 'l4', description: 'Adjustment for August 2026, as invoiced, taken back: web (ct-512m, hourly)', quantity: '-48.000000', unitPrice: '0.01', amount: '-0.48' },
    ] }]).trim().split('\r\n');
    expect(rows).toHaveLength(3);
    expect(rows[1]).toContain(',ct-512m,1,cap,-0.46,-0.46,');
    expect(rows[2]).toContain(',ct-512m,-48.000000,hour,0.01,-0.48,');
  });

  it('keeps a row for an invoice without lines', () => {
    const rows = invoiceCsv([{ ...invoice, lines: [], creditNotes: [] }]).trim().split('\r\n');
    expect(rows).toHaveLength(2);
    expect(rows[1].endsWith(',1.48,0.28,1.76,0.00')).toBe(true);
  });
});
