import { Injectable, Logger, type OnApplicationBootstrap, type OnApplicationShutdown } from '@nestjs/common';
import { EventStore, type RecordedEvent } from '#libs/event-store';
import type { AccountStandingEvent } from './accounts/account-standing.decider.js';
import type { InvoiceEvent } from './invoices/invoice.decider.js';

/** Invoices and dunning as an operator (and finance) reads them in the log. */
const FACTS: Partial<Record<InvoiceEvent['type'] | AccountStandingEvent['type'], string>> = {
  InvoiceFinalized: 'invoice finalized',
  InvoicePaid: 'invoice paid',
  InvoiceVoided: 'invoice voided',
  InvoicePaymentFailed: 'payment failed',
  AccountPastDue: 'account past due',
  AccountSuspended: 'account suspended',
  AccountReinstated: 'account reinstated',
};

/**
 * Logs each billing fact once, in the process that appended it, once committed: with its invoice,
 * account and amounts, and a suspension with how long the account was past due.
 */
@Injectable()
export class BillingFacts implements OnApplicationBootstrap, OnApplicationShutdown {
  private readonly logger = new Logger('billing');
  private unsubscribe: (() => void) | undefined;

  constructor(private readonly store: EventStore) {}

  onApplicationBootstrap(): void {
    this.unsubscribe = this.store.onAppended((events) => {
      if (!events.some((event) => event.type in FACTS)) return;
      this.log(events).catch((error: Error) => this.logger.warn(`facts of ${events[0].streamId} not logged: ${error.message}`));
    });
  }

  onApplicationShutdown(): void {
    this.unsubscribe?.();
  }

  private async log(appended: readonly RecordedEvent[]): Promise<void> {
    const history = appended.some((event) => event.type === 'AccountSuspended') ? await this.store.readStream(appended[0].streamId) : [];
    for (const event of appended) {
      const message = FACTS[event.type as keyof typeof FACTS];
      if (!message) continue;
      const pastDue = event.type === 'AccountSuspended' ? history.findLast((e) => e.type === 'AccountPastDue' && e.version < event.version) : undefined;
      this.logger.log({
        msg: message,
        ...(event.data as Record<string, unknown>),
        ...(pastDue ? { pastDueForMs: Date.parse(event.occurredAt) - Date.parse(pastDue.occurredAt) } : {}),
        correlationId: event.metadata.correlationId,
      });
    }
  }
}
