/** The invoice desk's logic, apart from the page: which invoices a choice shows, a segment's events, durations. */

export type InvoiceStatusName = 'DRAFT' | 'FINALIZED' | 'PAID' | 'VOID';

export interface InvoiceSummary {
  id: string;
  status: InvoiceStatusName;
  periodStart: string;
  account: { id: string; name: string };
}

export interface DeskChoice {
  /** `YYYY-MM`, or '' for every month. */
  month: string;
  status: InvoiceStatusName | '';
  accountId: string;
}

/** The month an invoice bills, `YYYY-MM` in UTC as billing's months are (its period starts on the 1st at 00:00 UTC). */
export const monthOf = (iso: string): string => iso.slice(0, 7);

/** The invoices a choice shows, the latest month first, then by account name. */
export function chosenInvoices<T extends InvoiceSummary>(invoices: readonly T[], choice: DeskChoice): T[] {
  return invoices
    .filter((invoice) => (!choice.month || monthOf(invoice.periodStart) === choice.month)
      && (!choice.status || invoice.status === choice.status)
      && (!choice.accountId || invoice.account.id === choice.accountId))
    .sort((a, b) => b.periodStart.localeCompare(a.periodStart) || a.account.name.localeCompare(b.account.name));
}

/** What the desk's filters offer: the months and the accounts that have invoices, latest month and names in order. */
export function deskOptions(invoices: readonly InvoiceSummary[]): { months: string[]; accounts: { id: string; name: string }[] } {
  const months = [...new Set(invoices.map((invoice) => monthOf(invoice.periodStart)))].sort().reverse();
  const accounts = [...new Map(invoices.map((invoice) => [invoice.account.id, invoice.account])).values()].sort((a, b) => a.name.localeCompare(b.name));
  return { months, accounts };
}

/** `2026-03` as people read it: "March 2026" (in English: the console's language). */
export function monthName(month: string): string {
  const [year, number] = month.split('-').map(Number);
  return new Date(Date.UTC(year, number - 1, 1)).toLocaleString('en', { month: 'long', year: 'numeric', timeZone: 'UTC' });
}

/** A segment's length in words: "10 d 0 h", "3 h 20 min", "45 s". */
export function duration(seconds: number): string {
  const days = Math.floor(seconds / 86_400);
  const hours = Math.floor((seconds % 86_400) / 3600);
  const minutes = Math.floor((seconds % 3600) / 60);
  if (days > 0) return `${days} d ${hours} h`;
  if (hours > 0) return `${hours} h ${minutes} min`;
  if (minutes > 0) return `${minutes} min ${seconds % 60} s`;
  return `${seconds} s`;
}

export interface HistoryEvent {
  id: string;
  type: string;
  occurredAt: string;
}

/** The instance events that open and close billing's segments (apps/billing's meter): nothing else moves a boundary. */
const METERED = new Set(['InstanceStarted', 'InstanceStopped', 'InstanceResized', 'InstanceDeleted']);

const secondOf = (iso: string) => Math.floor(Date.parse(iso) / 1000);

/**
 * The events of an instance's history that opened and closed a usage segment: the metered ones at
 * its boundaries' seconds (billing cuts a segment at its event's second). The API names a segment's
 * times, not its events, so they are found in the history; none where the history has none there.
 */
export function segmentEvents(segment: { startedAt: string; endedAt: string | null }, history: readonly HistoryEvent[]): { opened: HistoryEvent[]; closed: HistoryEvent[] } {
  const at = (iso: string | null) => (iso === null ? [] : history.filter((event) => METERED.has(event.type) && secondOf(event.occurredAt) === secondOf(iso)));
  return { opened: at(segment.startedAt), closed: at(segment.endedAt) };
}

/** What finance may do to an invoice in its status (billing refuses the rest with CONFLICT). */
export function invoiceActions(status: InvoiceStatusName): ('finalize' | 'markPaid' | 'void' | 'creditNote')[] {
  switch (status) {
    case 'DRAFT':
      return ['finalize', 'void'];
    case 'FINALIZED':
      return ['markPaid', 'creditNote', 'void'];
    case 'PAID':
      return ['creditNote'];
    case 'VOID':
      return [];
  }
}
