import type { BillingEvents } from '#libs/contracts';
import type { Decider, DomainEvent } from '#libs/event-store';

/**
 * Dunning, on the account's `account-<id>` stream: a failed payment makes the account PAST_DUE;
 * still unpaid after the grace period it is SUSPENDED; once every failed invoice is paid (or
 * voided) it is ACTIVE again.
 */
export type AccountStandingEvent =
  | DomainEvent<'InvoicePaymentFailed', { accountId: string; invoiceId: string; reason: string }>
  | DomainEvent<'InvoiceSettled', { accountId: string; invoiceId: string }>
  | DomainEvent<'AccountPastDue', BillingEvents['AccountPastDue']>
  | DomainEvent<'AccountSuspended', BillingEvents['AccountSuspended']>
  | DomainEvent<'AccountReinstated', BillingEvents['AccountReinstated']>;

export type AccountStandingCommand =
  | { type: 'RecordPaymentFailure'; accountId: string; invoiceId: string; reason: string }
  /** The invoice was paid or voided: it no longer counts against the account. */
  | { type: 'SettleInvoice'; accountId: string; invoiceId: string }
  | { type: 'SuspendIfOverdue'; accountId: string; now: Date; graceSeconds: number };

export interface AccountStanding {
  status: 'ACTIVE' | 'PAST_DUE' | 'SUSPENDED';
  pastDueSince: string | null;
  /** Invoices whose payment failed and that are not settled yet. */
  unpaid: string[];
}

export const accountStreamId = (accountId: string) => `account-${accountId}`;

export const accountStandingDecider: Decider<AccountStandingCommand, AccountStanding, AccountStandingEvent> = {
  initialState: () => ({ status: 'ACTIVE', pastDueSince: null, unpaid: [] }),

  decide(command, state) {
    const { accountId } = command;
    switch (command.type) {
      case 'RecordPaymentFailure': {
        if (state.unpaid.includes(command.invoiceId)) return [];
        const failed: AccountStandingEvent = { type: 'InvoicePaymentFailed', data: { accountId, invoiceId: command.invoiceId, reason: command.reason } };
        return state.status === 'ACTIVE' ? [failed, { type: 'AccountPastDue', data: { accountId, invoiceId: command.invoiceId } }] : [failed];
      }
      case 'SettleInvoice': {
        if (!state.unpaid.includes(command.invoiceId)) return [];
        const settled: AccountStandingEvent = { type: 'InvoiceSettled', data: { accountId, invoiceId: command.invoiceId } };
        return state.unpaid.length === 1 ? [settled, { type: 'AccountReinstated', data: { accountId } }] : [settled];
      }
      case 'SuspendIfOverdue': {
        if (state.status !== 'PAST_DUE') return [];
        const overdueAt = Date.parse(state.pastDueSince!) + command.graceSeconds * 1000;
        return command.now.getTime() >= overdueAt ? [{ type: 'AccountSuspended', data: { accountId } }] : [];
      }
    }
  },

  evolve(state, event) {
    switch (event.type) {
      case 'InvoicePaymentFailed':
        return { ...state, unpaid: [...state.unpaid, event.data.invoiceId] };
      case 'InvoiceSettled':
        return { ...state, unpaid: state.unpaid.filter((id) => id !== event.data.invoiceId) };
      case 'AccountPastDue':
        return { ...state, status: 'PAST_DUE', pastDueSince: (event as { occurredAt?: string }).occurredAt ?? new Date(0).toISOString() };
      case 'AccountSuspended':
        return { ...state, status: 'SUSPENDED' };
      case 'AccountReinstated':
        return { ...state, status: 'ACTIVE', pastDueSince: null };
    }
  },
};
