import { addDecimals } from '../api/decimal.js';
import { monthOf, type InvoiceStatusName } from './invoice-desk.js';

export interface RevenueInvoice {
  status: InvoiceStatusName;
  periodStart: string;
  total: { amount: string; currency: string };
}

export interface RevenueMonth {
  /** `YYYY-MM`. */
  month: string;
  /** The month's invoiced total, exact. */
  amount: string;
  invoices: number;
  /** amount ÷ the largest month's amount in the chart, 0 to 1: only a bar's length, never money. */
  share: number;
}

/** Issued invoices are revenue: finalized, and paid (finalized first); a draft is not issued yet, a void one cancelled. */
const ISSUED: readonly InvoiceStatusName[] = ['FINALIZED', 'PAID'];

/** The month after `YYYY-MM`. */
function nextMonth(month: string): string {
  const [year, number] = month.split('-').map(Number);
  return number === 12 ? `${year + 1}-01` : `${year}-${String(number + 1).padStart(2, '0')}`;
}

/**
 * Revenue per currency and month, from the issued invoices' totals summed exactly: for each currency
 * (in alphabetical order) its last `months` months up to its latest with revenue, oldest first, a
 * month without invoices at 0 so the bars keep the calendar's spacing.
 */
export function revenueByMonth(invoices: readonly RevenueInvoice[], months = 12): { currency: string; months: RevenueMonth[] }[] {
  const byCurrency = new Map<string, Map<string, string[]>>();
  for (const invoice of invoices) {
    if (!ISSUED.includes(invoice.status)) continue;
    const perMonth = byCurrency.get(invoice.total.currency) ?? new Map<string, string[]>();
    byCurrency.set(invoice.total.currency, perMonth);
    const month = monthOf(invoice.periodStart);
    perMonth.set(month, [...(perMonth.get(month) ?? []), invoice.total.amount]);
  }
  return [...byCurrency.keys()].sort().map((currency) => {
    const perMonth = byCurrency.get(currency)!;
    const known = [...perMonth.keys()].sort();
    const calendar: string[] = [];
    for (let month = known[0]; month <= known[known.length - 1]; month = nextMonth(month)) calendar.push(month);
    const shown = calendar.slice(-months).map((month) => {
      const amounts = perMonth.get(month) ?? [];
      return { month, amount: addDecimals(amounts), invoices: amounts.length };
    });
    const largest = Math.max(...shown.map((entry) => Number(entry.amount)));
    return { currency, months: shown.map((entry) => ({ ...entry, share: largest > 0 ? Math.max(0, Number(entry.amount)) / largest : 0 })) };
  });
}
