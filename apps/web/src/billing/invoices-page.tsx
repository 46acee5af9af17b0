import { useEffect, useMemo, useState } from 'react';
import { ApiError, request, type Person } from '../api/api-client.js';
import { formatMoney } from '../api/field-errors.js';
import { Empty } from '../components/form.js';
import { graphql } from '../gql/index.js';
import type { DeskInvoicesQuery } from '../gql/graphql.js';
import { Link } from '../router.js';
import { chosenInvoices, deskOptions, monthName, monthOf, type DeskChoice } from './invoice-desk.js';
import { RevenueChart } from './revenue-chart.js';
import './billing.css';

const DeskInvoices = graphql(`
  query DeskInvoices($after: String) {
    invoices(first: 100, after: $after) {
      totalCount
      pageInfo { hasNextPage endCursor }
      edges { node { id number status periodStart periodEnd total { amount currency } account { id name } } }
    }
  }
`);

type Row = DeskInvoicesQuery['invoices']['edges'][number]['node'];

/** Every invoice the caller may see, page after page (the API filters by account and status, not by month: the page does all three). */
async function allInvoices(): Promise<Row[]> {
  const rows: Row[] = [];
  let after: string | null | undefined = null;
  do {
    const { invoices }: DeskInvoicesQuery = await request(DeskInvoices, { after });
    rows.push(...invoices.edges.map((edge) => edge.node));
    after = invoices.pageInfo.hasNextPage ? invoices.pageInfo.endCursor : null;
  } while (after);
  return rows;
}

export const isFinance = (person: Person) => person.role === 'FINANCE' || person.role === 'ADMIN';

/**
 * Invoices by month, status and account: finance's desk (with the month's CSV), or a customer's
 * own invoices; each opens to its lines, and has its PDF and CSV.
 */
export function InvoicesPage({ person }: { person: Person }) {
  const [invoices, setInvoices] = useState<Row[] | undefined>(undefined);
  const [problem, setProblem] = useState<string | null>(null);
  const [choice, setChoice] = useState<DeskChoice>({ month: '', status: '', accountId: '' });
  const finance = isFinance(person);

  useEffect(() => {
    allInvoices().then(setInvoices, (error: ApiError) => setProblem(error.message));
  }, []);

  const options = useMemo(() => deskOptions(invoices ?? []), [invoices]);
  const shown = useMemo(() => chosenInvoices(invoices ?? [], choice), [invoices, choice]);

  if (invoices === undefined) return problem ? <p className="banner error" role="alert">{problem}</p> : <p role="status">Loading the invoices…</p>;
  const title = finance ? 'Invoice desk' : 'Invoices';
  if (invoices.length === 0) {
    return (
      <section>
        <h1>{title}</h1>
        <Empty title="No invoices yet">
          <p>{finance ? 'Each account has a draft once a month it used something ends; it shows here to be finalized.' : 'Your first invoice is drafted when the first month you used something ends.'}</p>
        </Empty>
      </section>
    );
  }
  const set = (change: Partial<DeskChoice>) => setChoice((current) => ({ ...current, ...change }));
  return (
    <section>
      <h1>{title}</h1>
      <form className="filters" aria-label="Which invoices" onSubmit={(event) => event.preventDefault()}>
        <div className="field">
          <label htmlFor="invoice-month">Month</label>
          <select id="invoice-month" value={choice.month} onChange={(event) => set({ month: event.target.value })}>
            <option value="">Every month</option>
            {options.months.map((month) => <option key={month} value={month}>{monthName(month)}</option>)}
          </select>
        </div>
        <div className="field">
          <label htmlFor="invoice-status">Status</label>
          <select id="invoice-status" value={choice.status} onChange={(event) => set({ status: event.target.value as DeskChoice['status'] })}>
            <option value="">Any status</option>
            {(['DRAFT', 'FINALIZED', 'PAID', 'VOID'] as const).map((status) => <option key={status} value={status}>{status}</option>)}
          </select>
        </div>
        {finance ? (
          <div className="field">
            <label htmlFor="invoice-account">Account</label>
            <select id="invoice-account" value={choice.accountId} onChange={(event) => set({ accountId: event.target.value })}>
              <option value="">Every account</option>
              {options.accounts.map((account) => <option key={account.id} value={account.id}>{account.name}</option>)}
            </select>
          </div>
        ) : null}
      </form>
      {finance && choice.month ? (
        <p><a href={`/invoices.csv?month=${choice.month}`} download>The CSV of {monthName(choice.month)}</a> (every invoice of the month, drafts too)</p>
      ) : null}
      <p className="muted" role="status">{shown.length} of {invoices.length} invoices</p>
      {shown.length === 0 ? <p className="empty">No invoice matches: choose another month, status or account.</p> : (
        <ul className="invoices">
          {shown.map((invoice) => (
            <li key={invoice.id} className="invoice-row">
              <Link href={`/billing/invoices/${invoice.id}`} className="invoice-name">
                {invoice.number ?? 'Draft'} · {invoice.account.name} · {monthName(monthOf(invoice.periodStart))}
              </Link>
              <span className={`invoice-status invoice-${invoice.status.toLowerCase()}`}>{invoice.status}</span>
              <span className="price">{formatMoney(invoice.total)}</span>
              <span className="documents">
                <a href={`/invoices/${invoice.id}.pdf`} download aria-label={`PDF of ${invoice.number ?? 'the draft'} for ${invoice.account.name}`}>PDF</a>
                <a href={`/invoices/${invoice.id}.csv`} download aria-label={`CSV of ${invoice.number ?? 'the draft'} for ${invoice.account.name}`}>CSV</a>
              </span>
            </li>
          ))}
        </ul>
      )}
      {finance ? <RevenueChart invoices={invoices} /> : null}
    </section>
  );
}
