import { formatMoney } from '../api/field-errors.js';
import { monthName } from './invoice-desk.js';
import { revenueByMonth, type RevenueInvoice } from './revenue.js';
import './revenue-chart.css';

/** A month's row: its name above its bar, the amount at the bar's end. */
const ROW = 44;
/** The longest bar's share of the width, leaving room for its amount after it. */
const LONGEST = 62;

/**
 * Finance's revenue per month, one chart per currency: horizontal bars in SVG (rows stay readable at
 * 360 px, where columns of twelve months would not), hidden from screen readers, which read the same
 * figures from the table beside it instead.
 */
export function RevenueChart({ invoices }: { invoices: readonly RevenueInvoice[] }) {
  const charts = revenueByMonth(invoices);
  return (
    <section className="revenue" aria-labelledby="revenue-heading">
      <h2 id="revenue-heading">Revenue per month</h2>
      {charts.length === 0 ? <p className="muted">No revenue yet: it counts invoices once they are finalized.</p> : null}
      {charts.map(({ currency, months }) => (
        <figure key={currency}>
          <figcaption>In {currency}: the totals of finalized and paid invoices, by the month they bill (the last 12 months)</figcaption>
          <svg className="revenue-bars" width="100%" height={months.length * ROW} aria-hidden="true" focusable="false">
            {months.map((entry, index) => {
              const length = entry.share * LONGEST;
              return (
                <g key={entry.month} transform={`translate(0 ${index * ROW})`}>
                  <text x="0" y="14" className="revenue-month">{monthName(entry.month)}</text>
                  <rect x="0" y="20" height="16" width={`${length}%`} rx="2" className="revenue-bar" />
                  <text x={`${length}%`} dx={length > 0 ? 6 : 0} y="33" className="revenue-amount">{formatMoney({ amount: entry.amount, currency })}</text>
                </g>
              );
            })}
          </svg>
          <table className="visually-hidden">
            <caption>Revenue in {currency} per month</caption>
            <thead><tr><th scope="col">Month</th><th scope="col">Revenue</th><th scope="col">Invoices</th></tr></thead>
            <tbody>
              {months.map((entry) => (
                <tr key={entry.month}><th scope="row">{monthName(entry.month)}</th><td>{formatMoney({ amount: entry.amount, currency })}</td><td>{entry.invoices}</td></tr>
              ))}
            </tbody>
          </table>
        </figure>
      ))}
    </section>
  );
}
