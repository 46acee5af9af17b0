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
export class BillingFacts extends FactLog<BillingFact, ReadonlyMap<number, RecordedEvent>> {
  constructor(store: EventStore) {
    super(store, 'billing', FACTS);
  }

  protected context(appended: readonly RecordedEvent[]): Promise<ReadonlyMap<number, RecordedEvent>> {
    return this.lastBeforeEach(appended, 'AccountSuspended', 'AccountPastDue');
  }

  protected fields(event: RecordedEvent, pastDueBefore: ReadonlyMap<number, RecordedEvent>): Record<string, unknown> {
    const pastDue = pastDueBefore.get(event.version);
    return { ...(event.data as Record<string, unknown>), ...(pastDue ? { pastDueForMs: Date.parse(event.occurredAt) - Date.parse(pastDue.occurredAt) } : {}) };
  }
}
