import { AppError, type BillingEvents } from '#libs/contracts';
import type { Decider, DomainEvent } from '#libs/event-store';
import { formatMinor, parseMinor } from '../money/money.js';

export type InvoiceStatus = 'DRAFT' | 'FINALIZED' | 'PAID' | 'VOID';

/** Who is invoiced for which month, by whom and in what currency. */
export interface InvoiceHeader {
  invoiceId: string;
  accountId: string;
  issuerId: string;
  currency: string;
  periodStart: string;
  periodEnd: string;
}

export type InvoiceEvent =
  | DomainEvent<'InvoiceDrafted', InvoiceHeader>
  | DomainEvent<'InvoiceFinalized', BillingEvents['InvoiceFinalized'] & { lineCount: number }>
  | DomainEvent<'InvoicePaid', BillingEvents['InvoicePaid']>
  | DomainEvent<'InvoiceVoided', BillingEvents['InvoiceVoided']>
  | DomainEvent<'CreditNoteIssued', BillingEvents['CreditNoteIssued']>;

export type InvoiceCommand =
  | { type: 'DraftInvoice'; header: InvoiceHeader }
  /** Totals rated and the number taken in the same transaction as the append, `at` (ms since the epoch) the moment it is asked. */
  | { type: 'FinalizeInvoice'; number: string; subtotal: string; tax: string; total: string; lineCount: number; at: number }
  | { type: 'MarkInvoicePaid'; reference: string }
  | { type: 'VoidInvoice'; reason: string }
  | { type: 'IssueCreditNote'; creditNoteId: string; number: string; amount: string; reason: string };

export interface InvoiceState {
  header: InvoiceHeader | null;
  status: InvoiceStatus | null;
  total: string | null;
  /** Credited so far, in the currency's minor unit. */
  creditedMinor: bigint;
  reference: string | null;
}

export const invoiceStreamId = (invoiceId: string) => `invoice-${invoiceId}`;

/** Why a month's invoice cannot be finalized (paid, voided, credited) yet, and when it can. */
export const monthNotEnded = (action: string, periodStart: string, periodEnd: string) =>
  `cannot ${action} the invoice of ${periodStart.slice(0, 7)} before its month ends, at ${periodEnd}`;

/** The header of an invoice that can be finalized at `at` (ms since the epoch): a draft whose month has ended (its usage is all known then). */
export function requireFinalizable(state: InvoiceState, at: number): InvoiceHeader {
  if (!state.header) throw AppError.notFound('invoice');
  if (state.status !== 'DRAFT') throw AppError.conflict(`cannot finalize an invoice that is ${state.status}`);
  if (Date.parse(state.header.periodEnd) > at) throw AppError.conflict(monthNotEnded('finalize', state.header.periodStart, state.header.periodEnd));
  return state.header;
}

function requireText(value: unknown, field: string, max = 500): string {
  if (typeof value !== 'string' || !value.trim() || value.length > max) throw AppError.badInput(field, `must be text of 1 to ${max} characters`);
  return value.trim();
}

/**
 * An invoice: DRAFT after its month closes (its lines are rated live until then), FINALIZED with
 * a number once its month has ended (it never changes again), then PAID or VOID. Credit notes on a finalized or paid
 * invoice never add up to more than its total.
 */
export const invoiceDecider: Decider<InvoiceCommand, InvoiceState, InvoiceEvent> = {
  initialState: () => ({ header: null, status: null, total: null, creditedMinor: 0n, reference: null }),

  decide(command, state) {
    if (command.type === 'DraftInvoice') return state.status ? [] : [{ type: 'InvoiceDrafted', data: command.header }];
    if (!state.header) throw AppError.notFound('invoice');
    const { invoiceId, accountId, currency } = state.header;
    switch (command.type) {
      case 'FinalizeInvoice':
        requireFinalizable(state, command.at);
        return [{
          type: 'InvoiceFinalized',
          data: { invoiceId, accountId, issuerId: state.header.issuerId, number: command.number, currency, subtotal: command.subtotal, tax: command.tax, total: command.total, lineCount: command.lineCount },
        }];
      case 'MarkInvoicePaid': {
        const reference = requireText(command.reference, 'reference', 200);
        if (state.status === 'PAID' && state.reference === reference) return [];
        if (state.status !== 'FINALIZED') throw AppError.conflict(`cannot mark paid an invoice that is ${state.status}`);
        return [{ type: 'InvoicePaid', data: { invoiceId, accountId, reference } }];
      }
      case 'VoidInvoice': {
        const reason = requireText(command.reason, 'reason');
        if (state.status === 'VOID') return [];
        if (state.status === 'PAID') throw AppError.conflict('cannot void a paid invoice: issue a credit note');
        return [{ type: 'InvoiceVoided', data: { invoiceId, accountId, reason } }];
      }
      case 'IssueCreditNote': {
        const reason = requireText(command.reason, 'input.reason');
        const amount = parseMinor(command.amount, 'input.amount', currency);
        if (state.status !== 'FINALIZED' && state.status !== 'PAID') throw AppError.conflict(`cannot credit an invoice that is ${state.status}`);
        const left = parseMinor(state.total, 'total', currency) - state.creditedMinor;
        if (amount <= 0n) throw AppError.badInput('input.amount', 'must be more than zero');
        if (amount > left) throw AppError.badInput('input.amount', `is more than the ${formatMinor(left, currency)} ${currency} left to credit on this invoice`);
        return [{ type: 'CreditNoteIssued', data: { invoiceId, accountId, creditNoteId: command.creditNoteId, number: command.number, amount: formatMinor(amount, currency), reason } }];
      }
    }
  },

  evolve(state, event) {
    switch (event.type) {
      case 'InvoiceDrafted':
        return { ...state, header: event.data, status: 'DRAFT' };
      case 'InvoiceFinalized':
        return { ...state, status: 'FINALIZED', total: event.data.total };
      case 'InvoicePaid':
        return { ...state, status: 'PAID', reference: event.data.reference };
      case 'InvoiceVoided':
        return { ...state, status: 'VOID' };
      case 'CreditNoteIssued':
        return { ...state, creditedMinor: state.creditedMinor + parseMinor(event.data.amount, 'amount', state.header!.currency) };
    }
  },
};
