import { addDecimals, subtractDecimal } from '../src/api/decimal.js';
import { revenueByMonth, type RevenueInvoice } from '../src/billing/revenue.js';

const invoice = (periodStart: string, status: RevenueInvoice['status'], amount: string, currency = 'EUR'): RevenueInvoice =>
  ({ status, periodStart: `${periodStart}-01T00:00:00.000Z`, total: { amount, currency } });

describe('revenue per month and currency', () => {
  it('sums decimal strings exactly, where floats would not', () => {
    expect(addDecimals(['0.1', '0.2'])).toBe('0.3');
    expect(addDecimals(['12.3456', '0.01', '7'])).toBe('19.3556');
    expect(addDecimals(['9007199254740993.01', '1.00'])).toBe('9007199254740994.01');
    expect(addDecimals(['-5.25', '2'])).toBe('-3.25');
    expect(addDecimals([])).toBe('0');
    expect(subtractDecimal('0.0075', '0.005')).toBe('0.0025');
    expect(subtractDecimal('1', '1.5')).toBe('-0.5');
    expect(() => addDecimals(['1,50'])).toThrow('not a decimal: "1,50"');
  });

  it('counts finalized and paid invoices by the month they bill, per currency; drafts and void ones are not revenue', () => {
    const charts = revenueByMonth([
      invoice('2026-01', 'PAID', '100.10'),
      invoice('2026-01', 'FINALIZED', '0.2'),
      invoice('2026-01', 'DRAFT', '999'),
      invoice('2026-03', 'FINALIZED', '50.0500'),
      invoice('2026-03', 'VOID', '999'),
      invoice('2026-02', 'PAID', '3.00', 'USD'),
    ]);
    expect(charts).toEqual([
      {
        currency: 'EUR',
        months: [
          { month: '2026-01', amount: '100.30', invoices: 2, share: 1 },
          // A month without invoices keeps its place in the calendar, at nothing.
          { month: '2026-02', amount: '0', invoices: 0, share: 0 },
          { month: '2026-03', amount: '50.0500', invoices: 1, share: 50.05 / 100.3 },
        ],
      },
      { currency: 'USD', months: [{ month: '2026-02', amount: '3.00', invoices: 1, share: 1 }] },
    ]);
  });

  it('shows the last months up to the latest with revenue, across a year', () => {
    const charts = revenueByMonth([invoice('2025-11', 'PAID', '1'), invoice('2026-02', 'PAID', '2')], 3);
    expect(charts[0].months.map((m) => [m.month, m.amount])).toEqual([['2025-12', '0'], ['2026-01', '0'], ['2026-02', '2']]);
  });

  it('has nothing to chart before an invoice is finalized', () => {
    expect(revenueByMonth([invoice('2026-01', 'DRAFT', '10')])).toEqual([]);
  });
});
