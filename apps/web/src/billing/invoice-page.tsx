import { useCallback, useEffect, useState, type FormEvent } from 'react';
import { ApiError, request, type Person } from '../api/api-client.js';
import { formErrors, formatMoney, type FormErrors } from '../api/field-errors.js';
import { Empty, Field, GeneralErrors, noErrors } from '../components/form.js';
import { graphql } from '../gql/index.js';
import type { DeskInvoiceQuery, SegmentHistoryQuery } from '../gql/graphql.js';
import { Link } from '../router.js';
import { duration, invoiceActions, monthName, monthOf, segmentEvents, type HistoryEvent } from './invoice-desk.js';
import { isFinance } from './invoices-page.js';
import './billing.css';

const DeskInvoice = graphql(`
  query DeskInvoice($id: ID!) {
    invoice(id: $id) {
      id number status currency periodStart periodEnd issuedAt paidAt
      account { id name }
      subtotal { amount currency } tax { amount currency } total { amount currency }
      lines {
        id description resourceId resourceType sku quantity unit periodStart periodEnd
        unitPrice { amount currency } amount { amount currency }
        usage { resourceId sku state startedAt endedAt seconds }
      }
      creditNotes { id number amount { amount currency } reason issuedAt }
    }
  }
`);
const FinalizeInvoice = graphql(`mutation DeskFinalizeInvoice($id: ID!) { finalizeInvoice(id: $id) { id } }`);
const MarkInvoicePaid = graphql(`mutation DeskMarkInvoicePaid($id: ID!, $reference: String!) { markInvoicePaid(id: $id, reference: $reference) { id } }`);
const VoidInvoice = graphql(`mutation DeskVoidInvoice($id: ID!, $reason: String!) { voidInvoice(id: $id, reason: $reason) { id } }`);
const IssueCreditNote = graphql(`mutation DeskIssueCreditNote($input: IssueCreditNoteInput!) { issueCreditNote(input: $input) { id number } }`);
const SegmentHistory = graphql(`
  query SegmentHistory($id: ID!, $after: String) {
    instance(id: $id) { id history(first: 200, after: $after) { pageInfo { hasNextPage endCursor } edges { node { id type occurredAt } } } }
  }
`);

type Detail = NonNullable<DeskInvoiceQuery['invoice']>;
type Line = Detail['lines'][number];

const when = (iso: string) => <time dateTime={iso}>{new Date(iso).toLocaleString('en', { timeZone: 'UTC', dateStyle: 'medium', timeStyle: 'short' })} UTC</time>;

/** An instance's whole history (the events that opened and closed its segments are in it). */
async function historyOf(instanceId: string): Promise<HistoryEvent[]> {
  const events: HistoryEvent[] = [];
  let after: string | null | undefined = null;
  do {
    const { instance }: SegmentHistoryQuery = await request(SegmentHistory, { id: instanceId, after });
    if (!instance) break;
    events.push(...instance.history.edges.map((edge) => edge.node));
    after = instance.history.pageInfo.hasNextPage ? instance.history.pageInfo.endCursor : null;
  } while (after);
  return events;
}

/** A line, opening to the usage it was rated from: each segment, and for an instance the events at its ends. */
function InvoiceLine({ line }: { line: Line }) {
  const [history, setHistory] = useState<HistoryEvent[] | 'loading' | null>(null);
  const open = () => {
    if (line.resourceType !== 'INSTANCE' || !line.resourceId || history !== null) return;
    setHistory('loading');
    historyOf(line.resourceId).then(setHistory, () => setHistory([]));
  };
  const events = (list: HistoryEvent[]) => list.map((event) => <span key={event.id}>{event.type} </span>);
  return (
    <li>
      <details className="line" onToggle={(event) => event.currentTarget.open && open()}>
        <summary>
          <span className="line-what">{line.description}</span>
          <span className="price">{line.quantity} {line.unit} × {formatMoney(line.unitPrice)} = <strong>{formatMoney(line.amount)}</strong></span>
        </summary>
        <p className="muted">{line.resourceType} {line.resourceId ?? ''} · {line.sku} · {when(line.periodStart)} to {when(line.periodEnd)}</p>
        {line.usage.length === 0 ? <p>No metered usage: this line is a cap or an adjustment.</p> : (
          <ul className="segments" aria-label={`Usage of ${line.description}`}>
            {line.usage.map((segment) => {
              const found = Array.isArray(history) ? segmentEvents(segment, history) : null;
              return (
                <li key={`${segment.resourceId}-${segment.startedAt}`} className="segment">
                  <p><strong>{segment.state}</strong> in {segment.sku}, {duration(segment.seconds)} billed</p>
                  <p>Opened {when(segment.startedAt)}{found?.opened.length ? <> by {events(found.opened)}</> : null}</p>
                  <p>{segment.endedAt ? <>Closed {when(segment.endedAt)}{found?.closed.length ? <> by {events(found.closed)}</> : null}</> : 'Still open'}</p>
                </li>
              );
            })}
            {history === 'loading' ? <li role="status">Finding the events in the instance's history…</li> : null}
          </ul>
        )}
      </details>
    </li>
  );
}

/** One action's form: a field when it needs one, the API's errors beside it. */
function ActionForm({ title, fields, button, danger, run }: {
  title: string;
  fields: { name: string; label: string; hint?: string }[];
  button: string;
  danger?: boolean;
  run: (values: Record<string, string>) => Promise<unknown>;
}) {
  const [errors, setErrors] = useState<FormErrors>(noErrors);
  const [busy, setBusy] = useState(false);
  const send = async (event: FormEvent<HTMLFormElement>) => {
    event.preventDefault();
    const values = Object.fromEntries(new FormData(event.currentTarget)) as Record<string, string>;
    setBusy(true);
    setErrors(noErrors);
    try {
      await run(values);
    } catch (error) {
      setErrors(formErrors(error instanceof ApiError ? error.errors : [{ message: String(error) }], fields.map((f) => f.name)));
    } finally {
      setBusy(false);
    }
  };
  return (
    <form onSubmit={send} aria-label={title} noValidate>
      <h3>{title}</h3>
      <GeneralErrors errors={errors} />
      {fields.map((field) => <Field key={field.name} name={field.name} label={field.label} hint={field.hint} error={errors.fields[field.name]} required />)}
      <button type="submit" className={danger ? 'danger' : undefined} disabled={busy}>{button}</button>
    </form>
  );
}

/** An invoice: its lines (each opening to its usage), totals, credit notes, documents; finance's actions on it. */
export function InvoicePage({ id, person }: { id: string; person: Person }) {
  const [invoice, setInvoice] = useState<Detail | null | undefined>(undefined);
  const [problem, setProblem] = useState<string | null>(null);
  const [done, setDone] = useState<string | null>(null);

  const load = useCallback(() => request(DeskInvoice, { id }).then(({ invoice: loaded }) => setInvoice(loaded ?? null), (error: ApiError) => setProblem(error.message)), [id]);
  useEffect(() => void load(), [load]);

  if (invoice === undefined) return problem ? <p className="banner error" role="alert">{problem}</p> : <p role="status">Loading the invoice…</p>;
  if (invoice === null) {
    return (
      <Empty title="No such invoice">
        <p>It may belong to another account. <Link href="/billing/invoices">Go back to the invoices</Link>.</p>
      </Empty>
    );
  }
  const after = (what: string) => async () => {
    await load();
    setDone(what);
  };
  const actions = isFinance(person) ? invoiceActions(invoice.status) : [];
  const name = invoice.number ?? 'Draft invoice';
  return (
    <section>
      <p><Link href="/billing/invoices">← Invoices</Link></p>
      <div className="heading">
        <h1>{name}</h1>
        <p className="live-status">Status: <span className={`invoice-status invoice-${invoice.status.toLowerCase()}`}>{invoice.status}</span></p>
      </div>
      {done ? <p className="banner" role="status">{done}</p> : null}
      <dl className="facts">
        <dt>Account</dt><dd>{invoice.account.name}</dd>
        <dt>Month</dt><dd>{monthName(monthOf(invoice.periodStart))}</dd>
        {invoice.issuedAt ? <><dt>Issued</dt><dd>{when(invoice.issuedAt)}</dd></> : null}
        {invoice.paidAt ? <><dt>Paid</dt><dd>{when(invoice.paidAt)}</dd></> : null}
        <dt>Documents</dt>
        <dd className="documents-inline">
          <a href={`/invoices/${invoice.id}.pdf`} download>PDF</a> · <a href={`/invoices/${invoice.id}.csv`} download>CSV</a>
        </dd>
      </dl>
      <h2>Lines</h2>
      {invoice.lines.length === 0 ? <p>No lines: nothing was used in this month.</p> : (
        <ul className="lines">{invoice.lines.map((line) => <InvoiceLine key={line.id} line={line} />)}</ul>
      )}
      <dl className="facts totals">
        <dt>Subtotal</dt><dd className="price">{formatMoney(invoice.subtotal)}</dd>
        <dt>Tax</dt><dd className="price">{formatMoney(invoice.tax)}</dd>
        <dt>Total</dt><dd className="price"><strong>{formatMoney(invoice.total)}</strong></dd>
      </dl>
      {invoice.creditNotes.length ? (
        <>
          <h2>Credit notes</h2>
          <ul className="lines">
            {invoice.creditNotes.map((note) => <li key={note.id} className="line">{note.number}: {formatMoney(note.amount)}, {note.reason} ({when(note.issuedAt)})</li>)}
          </ul>
        </>
      ) : null}
      {actions.length ? (
        <>
          <h2>Finance</h2>
          <div className="desk-forms">
            {actions.includes('finalize') ? (
              <ActionForm title="Finalize" fields={[]} button="Finalize this invoice"
                run={() => request(FinalizeInvoice, { id }).then(after('Finalized: it is numbered and its lines are frozen.'))} />
            ) : null}
            {actions.includes('markPaid') ? (
              <ActionForm title="Mark paid" fields={[{ name: 'reference', label: 'Payment reference', hint: "the bank transfer's own id" }]} button="Mark paid"
                run={({ reference }) => request(MarkInvoicePaid, { id, reference }).then(after('Marked paid.'))} />
            ) : null}
            {actions.includes('creditNote') ? (
              <ActionForm title="Credit note" fields={[{ name: 'amount', label: 'Amount', hint: `in ${invoice.currency}, e.g. 5.00` }, { name: 'reason', label: 'Reason' }]} button="Issue credit note"
                run={({ amount, reason }) => request(IssueCreditNote, { input: { invoiceId: id, amount, reason } }).then(({ issueCreditNote }) => after(`Credit note ${issueCreditNote.number} issued.`)())} />
            ) : null}
            {actions.includes('void') ? (
              <ActionForm title="Void" fields={[{ name: 'reason', label: 'Why void it' }]} button="Void this invoice" danger
                run={({ reason }) => request(VoidInvoice, { id, reason }).then(after('Voided.'))} />
            ) : null}
          </div>
        </>
      ) : null}
    </section>
  );
}
