import { Injectable } from '@nestjs/common';
import { FactLog } from '#libs/event-sourcing';
import { EventStore, type RecordedEvent } from '#libs/event-store';
import type { AccountStandingEvent } from './accounts/account-standing.decider.js';
import type { InvoiceEvent } from './invoices/invoice.decider.js';

type BillingFact = InvoiceEvent['type'] | AccountStandingEvent['type'];

/** Invoices and dunning as an operator (and finance) reads them in the log. */
const FACTS: Partial<Record<BillingFact, string>> = {
  InvoiceFinalized: 'invoice finalized',
  InvoicePaid: 'invoice paid',
  InvoiceVoided: 'invoice voided',
  InvoicePaymentFailed: 'payment failed',
  AccountPastDue: 'account past due',
  AccountSuspended: 'account suspended',
  AccountReinstated: 'account reinstated',
};

/** Each billing fact with its invoice, account and amounts, and a suspension with how long the account was past due. */
@Injectable()
export class BillingFacts extends FactLog<BillingFact> {
  constructor(store: EventStore) {
    super(store, 'billing', FACTS);
  }

  protected async context(appended: readonly RecordedEvent[]): Promise<RecordedEvent[]> {
    return appended.some((event) => event.type === 'AccountSuspended') ? this.store.readStream(appended[0].streamId) : [];
  }

  protected fields(event: RecordedEvent, history: readonly RecordedEvent[]): Record<string, unknown> {
    const pastDue = event.type === 'AccountSuspended' ? history.findLast((e) => e.type === 'AccountPastDue' && e.version < event.version) : undefined;
    return { ...(event.data as Record<string, unknown>), ...(pastDue ? { pastDueForMs: Date.parse(event.occurredAt) - Date.parse(pastDue.occurredAt) } : {}) };
  }
}
