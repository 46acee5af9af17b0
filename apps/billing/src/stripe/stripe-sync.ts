import { Inject, Injectable, Logger } from '@nestjs/common';
import type pg from 'pg';
import type Stripe from 'stripe';
import { AppError, PLATFORM_SCOPE, type BillingEvents, type InvoiceView } from '#libs/contracts';
import { PG_POOL, ServiceConsumers } from '#libs/event-sourcing';
import { Accounts } from '../accounts/accounts.js';
import { InvoiceQueries } from '../invoices/invoice-queries.js';
import { signedMinor } from '../money/money.js';
import { PLATFORM } from '../prices/price-list.decider.js';
import { STRIPE } from './stripe-client.js';
import { paidInStripe, PgStripeProgress, StripeInvoices, type StripeInvoiceDocument } from './stripe-invoices.js';

/** Paid, and not in Stripe: by bank transfer, say, as finance recorded it. */
function paidOutsideStripe(invoice: InvoiceView): boolean {
  return invoice.status === 'PAID' && !paidInStripe(invoice.paymentReference ?? '');
}

/**
 * Pushes every finalized platform-issued invoice to Stripe, and what happens to it after: a void
 * makes its Stripe invoice unpayable, and so does a payment made outside Stripe (marked paid out of
 * band there); a credit note is issued there too (an invoice Stripe still
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
      eventTypes: ['InvoiceFinalized', 'InvoiceVoided', 'InvoicePaid', 'CreditNoteIssued'],
      handle: async (event) => {
        switch (event.type) {
          case 'InvoiceFinalized': {
            const finalized = event.data as BillingEvents['InvoiceFinalized'];
            if (finalized.issuerId !== PLATFORM) return;
            const invoice = await this.queries.get(finalized.invoiceId, { accountIds: PLATFORM_SCOPE }).catch((error: unknown) => {
              // Only another billing's event on a shared stream names an invoice this database lacks: nothing to push.
              if (error instanceof AppError && error.code === 'NOT_FOUND') return null;
              throw error;
            });
            // Voided, or paid outside Stripe, before it was ever pushed: nothing for Stripe to collect.
            if (!invoice || invoice.status === 'VOID' || paidOutsideStripe(invoice)) return;
            await push.push(await this.documentOf(invoice));
            // What came to it while it was pushed (a void, a payment, a credit note) found nothing in Stripe to act on: done now.
            const now = await this.queries.get(invoice.id, { accountIds: PLATFORM_SCOPE });
            if (now.status === 'VOID') await this.voidIn(push, now.id, now.accountId);
            if (paidOutsideStripe(now)) await this.settleIn(push, now.id, now.accountId, now.paymentReference!);
            for (const note of now.creditNotes) await this.creditIn(push, { ...note, creditNoteId: note.id }, now.currency);
            return;
          }
          case 'InvoiceVoided': {
            const { invoiceId, accountId } = event.data as BillingEvents['InvoiceVoided'];
            await this.voidIn(push, invoiceId, accountId);
            return;
          }
          case 'InvoicePaid': {
            const { invoiceId, accountId, reference } = event.data as BillingEvents['InvoicePaid'];
            if (!paidInStripe(reference)) await this.settleIn(push, invoiceId, accountId, reference);
            return;
          }
          case 'CreditNoteIssued': {
            const note = event.data as BillingEvents['CreditNoteIssued'];
            const currency = await this.currencyOf(note.invoiceId);
            if (currency) await this.creditIn(push, note, currency);
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

  /** The invoice's Stripe invoice made unpayable, where it was pushed; one a customer paid there meanwhile is finance's to refund. */
  private async voidIn(push: StripeInvoices, invoiceId: string, accountId: string): Promise<void> {
    if ((await push.void(invoiceId)) === 'paid in Stripe') {
      this.logger.error({ msg: 'invoice voided in Awan was paid in Stripe: refund the payment in Stripe', invoiceId, accountId });
    }
  }

  /** The invoice's Stripe invoice paid out of band, where it was pushed; one the customer paid there too is finance's to refund. */
  private async settleIn(push: StripeInvoices, invoiceId: string, accountId: string, reference: string): Promise<void> {
    if ((await push.settleOutOfBand(invoiceId, reference)) === 'paid in Stripe') {
      this.logger.error({ msg: 'invoice paid outside Stripe was paid in Stripe too: refund one of the payments', invoiceId, accountId, reference });
    }
  }

  /** The credit note on the invoice's Stripe invoice, once, where it was pushed (push.credit looks for it first). */
  private async creditIn(push: StripeInvoices, note: { creditNoteId: string; invoiceId: string; number: string; amount: string; reason: string }, currency: string): Promise<void> {
    await push.credit({ ...note, currency, amountMinor: this.minor(note.amount, currency) });
  }

  /** A decimal amount as an integer string of the currency's minor units. */
  private minor(amount: string, currency: string): string {
    return String(signedMinor(amount, currency));
  }

  /** The platform-issued invoice's currency; null for another issuer's, never pushed. */
  private async currencyOf(invoiceId: string): Promise<string | null> {
    const invoice = await this.queries.get(invoiceId, { accountIds: PLATFORM_SCOPE });
    return invoice.issuerId === PLATFORM ? invoice.currency : null;
  }

  private async documentOf(invoice: InvoiceView): Promise<StripeInvoiceDocument> {
    const account = (await Accounts.find(this.pool, invoice.accountId))!;
    const minor = (amount: string) => this.minor(amount, invoice.currency);
    return {
      invoiceId: invoice.id, number: invoice.number!, accountId: account.id, accountName: account.name, email: account.email, currency: invoice.currency,
      lines: invoice.lines.map((line) => ({ id: line.id, description: line.description, amountMinor: minor(line.amount) })),
      taxMinor: minor(invoice.tax), taxDescription: `Tax ${account.taxRate}`,
    };
  }
}
