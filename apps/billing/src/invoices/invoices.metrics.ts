import { counter, DecimalCounter } from '#libs/metrics';

const finalized = counter<'currency'>({
  name: 'awan_invoices_finalized_total',
  help: 'Invoices finalized by this process, by currency.',
  labelNames: ['currency'],
});

const invoiced = DecimalCounter.of<'currency'>({
  name: 'awan_invoiced_amount_total',
  help: "The totals of the invoices finalized by this process, by currency, in the currency's units (summed exactly, converted when scraped).",
  labelNames: ['currency'],
});

/** What finance finalized: how many invoices, and for how much, per currency. */
export class InvoicesMetrics {
  /** An invoice finalized (committed) with its total, a decimal string as billing keeps it. */
  finalized(currency: string, total: string): void {
    finalized.inc({ currency });
    // A total below zero (a month of credits only) is no amount invoiced; a counter only goes up.
    if (!total.startsWith('-')) invoiced.add({ currency }, total);
  }
}
