import { Inject, Injectable, Logger } from '@nestjs/common';
import type pg from 'pg';
import type Stripe from 'stripe';
import { AppError, PLATFORM_SCOPE, type BillingEvents } from '#libs/contracts';
import { PG_POOL, ServiceConsumers } from '#libs/event-sourcing';
import { Accounts } from '../accounts/accounts.js';
import { InvoiceQueries } from '../invoices/invoice-queries.js';
import { parseMinor } from '../money/money.js';
import { PLATFORM } from '../prices/price-list.decider.js';
import { STRIPE } from './stripe-client.js';
import { PgStripeProgress, StripeInvoices, type StripeInvoiceDocument } from './stripe-invoices.js';

/**
 * Pushes every finalized platform-issued invoice to Stripe, and what happens to it after: a void
 * makes its Stripe invoice unpayable, a credit note is issued there too (an invoice Stripe still
 * collected in full, or a payment Awan no longer counts, was finance's loss). A durable consumer
 * of billing's own invoice events, in each invoice's order: while Stripe is unreachable an event
 * is redelivered with backoff, for days, and idempotency keys make each Stripe object once.
 * Without Stripe, nothing.
 */
@Injectable()
export class StripeSync {
  private readonly logger = new Logger('stripe');

  constructor(
    @Inject(PG_POOL) private readonly pool: pg.Pool,
    consumers: ServiceConsumers,
    @Inject(STRIPE) stripe: Stripe | null,
    private readonly queries: InvoiceQueries,
  ) {
    if (!stripe) return;
    const push = new StripeInvoices(stripe, new PgStripeProgress(pool));
    consumers.add({
      name: 'billing-stripe', source: 'billing', filterSubject: 'events.billing.invoice.>',
      eventTypes: ['InvoiceFinalized', 'InvoiceVoided', 'CreditNoteIssued'],
      handle: async (event) => {
        switch (event.type) {
          case 'InvoiceFinalized': {
            const finalized = event.data as BillingEvents['InvoiceFinalized'];
            if (finalized.issuerId !== PLATFORM) return;
            const document = await this.documentOf(finalized.invoiceId).catch((error: unknown) => {
              // Only another billing's event on a shared stream names an invoice this database lacks: nothing to push.
              if (error instanceof AppError && error.code === 'NOT_FOUND') return null;
              throw error;
            });
            if (document) await push.push(document);
            return;
          }
          case 'InvoiceVoided': {
            const { invoiceId, accountId } = event.data as BillingEvents['InvoiceVoided'];
            if ((await push.void(invoiceId)) === 'paid in Stripe') {
              this.logger.error({ msg: 'invoice voided in Awan was paid in Stripe: refund the payment in Stripe', invoiceId, accountId });
            }
            return;
          }
          case 'CreditNoteIssued': {
            const note = event.data as BillingEvents['CreditNoteIssued'];
            const currency = await this.currencyOf(note.invoiceId);
            if (currency) await push.credit({ ...note, currency, amountMinor: this.minor(note.amount, currency) });
          }
        }
      },
      inbox: false, // the push is idempotent by itself, and slow
      maxDeliver: 500,
      backoffMs: [1000, 5000, 30_000, 120_000, 600_000],
      ackWaitMs: 60_000,
      logger: this.logger,
    });
  }

  /** A decimal amount as an integer string of the currency's minor units. */
  private minor(amount: string, currency: string): string {
    return String(amount.startsWith('-') ? -parseMinor(amount.slice(1), 'amount', currency) : parseMinor(amount, 'amount', currency));
  }

  /** The platform-issued invoice's currency; null for another issuer's, never pushed. */
  private async currencyOf(invoiceId: string): Promise<string | null> {
    const invoice = await this.queries.get(invoiceId, { accountIds: PLATFORM_SCOPE });
    return invoice.issuerId === PLATFORM ? invoice.currency : null;
  }

  private async documentOf(invoiceId: string): Promise<StripeInvoiceDocument> {
    const invoice = await this.queries.get(invoiceId, { accountIds: PLATFORM_SCOPE });
    const account = (await Accounts.find(this.pool, invoice.accountId))!;
    const minor = (amount: string) => this.minor(amount, invoice.currency);
    return {
      invoiceId: invoice.id, number: invoice.number!, accountId: account.id, accountName: account.name, email: account.email, currency: invoice.currency,
      lines: invoice.lines.map((line) => ({ id: line.id, description: line.description, amountMinor: minor(line.amount) })),
      taxMinor: minor(invoice.tax), taxDescription: `Tax ${account.taxRate}`,
    };
  }
}
