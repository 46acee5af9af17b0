import type pg from 'pg';
import type Stripe from 'stripe';
import type { Migration } from '#libs/event-store';
import { minorUnitsOf } from '../money/money.js';

/** A finalized Awan invoice, as much of it as Stripe needs to collect it. */
export interface StripeInvoiceDocument {
  /** Awan's uuid. */
  invoiceId: string;
  /** Awan's gapless number, e.g. AWN-2026-000123. */
  number: string;
  accountId: string;
  accountName: string;
  email: string | null;
  /** ISO 4217, upper case, e.g. EUR. */
  currency: string;
  /** `amountMinor`: an integer string in the currency's minor unit, possibly "0". */
  lines: { id: string; description: string; amountMinor: string }[];
  /** The invoice's tax in minor units, an integer string. */
  taxMinor: string;
  /** e.g. "Tax 19%". */
  taxDescription: string;
}

/** What has been pushed so far, so a retry after a crash skips the steps already done. */
export interface StripeProgress {
  customerFor(accountId: string): Promise<string | null>;
  saveCustomer(accountId: string, stripeCustomerId: string): Promise<void>;
  invoiceFor(invoiceId: string): Promise<{ stripeInvoiceId: string; finalized: boolean } | null>;
  saveInvoice(invoiceId: string, stripeInvoiceId: string, finalized: boolean): Promise<void>;
}

/** A credit note issued on a pushed invoice, as Stripe is to hear of it. */
export interface StripeCreditNoteDocument {
  invoiceId: string;
  creditNoteId: string;
  /** Awan's gapless number of the credit note. */
  number: string;
  currency: string;
  /** In the currency's minor unit, an integer string. */
  amountMinor: string;
  reason: string;
}

/** What became of an Awan invoice's void in Stripe. */
export type StripeVoidOutcome = 'voided' | 'not pushed' | 'paid in Stripe';
/** What became in Stripe of an Awan invoice paid outside Stripe (a bank transfer finance recorded). */
export type StripeSettleOutcome = 'settled' | 'not pushed' | 'paid in Stripe';

/** The payment reference Awan records for an invoice paid in Stripe. */
export function stripePaymentReference(stripeInvoiceId: string): string {
  return `stripe:${stripeInvoiceId}`;
}

/** Whether a payment reference is of a payment made in Stripe, which Stripe knows of already. */
export function paidInStripe(reference: string): boolean {
  return reference.startsWith('stripe:');
}

export interface StripeInvoicesOptions {
  /** Days the customer has to pay the invoice Stripe emails (default 14). */
  daysUntilDue?: number;
}

/** The Stripe invoice item for our tax; line ids are uuids, so it cannot collide with one. */
const TAX_LINE_ID = 'tax';
/** What of an invoice was paid outside Stripe: a field Stripe shows only when asked for. */
const PAID_OFF_STRIPE = { expand: ['amount_paid_off_stripe'] };

interface ItemToPush {
  lineId: string;
  description: string;
  amount: number;
}

/**
 * Pushes finalized platform invoices to Stripe: the account's customer once, then a draft
 * invoice, an item per line with an amount (and one for the tax), then finalization.
 *
 * Each create carries an idempotency key made of our ids, so a retry after a lost response
 * gets Stripe's first answer back instead of a second object. Stripe keeps keys for 24 hours
 * only, so each step is also recorded in `StripeProgress`, and a push that finds its draft
 * already made asks Stripe what is on it rather than trusting the keys alone.
 *
 * Invoices are `send_invoice`: Stripe emails the invoice with a link to its payment page,
 * where the customer pays by any method the Stripe account offers. We never collect a card
 * into Stripe, so `charge_automatically` would fail at once for every customer without a
 * default payment method; what is unpaid past its due date is Awan's to act on (suspension).
 */
export class StripeInvoices {
  private readonly daysUntilDue: number;

  constructor(
    private readonly stripe: Stripe,
    private readonly progress: StripeProgress,
    options: StripeInvoicesOptions = {},
  ) {
    this.daysUntilDue = options.daysUntilDue ?? 14;
  }

  /** Customer once per account, then the invoice, its items, and finalization. Returns the Stripe invoice id. */
  async push(document: StripeInvoiceDocument): Promise<string> {
    // Checked before anything is sent: a bad amount must not leave half an invoice in Stripe.
    const items = itemsOf(document);
    const recorded = await this.progress.invoiceFor(document.invoiceId);
    if (recorded?.finalized) return recorded.stripeInvoiceId;

    const customerId = await this.customerOf(document);
    let stripeInvoiceId: string;
    let alreadyOn = new Set<string>();
    if (recorded) {
      stripeInvoiceId = recorded.stripeInvoiceId;
      const invoice = await this.stripe.invoices.retrieve(stripeInvoiceId);
      if (invoice.status !== 'draft') {
        // Finalized by an earlier attempt whose answer never reached us.
        await this.progress.saveInvoice(document.invoiceId, stripeInvoiceId, true);
        return stripeInvoiceId;
      }
      alreadyOn = await this.linesOn(stripeInvoiceId);
    } else {
      stripeInvoiceId = await this.createDraft(document, customerId);
      await this.progress.saveInvoice(document.invoiceId, stripeInvoiceId, false);
    }

    const currency = document.currency.toLowerCase();
    // One after another: Stripe shows an invoice's items in the order they were created.
    for (const item of items) {
      if (alreadyOn.has(item.lineId)) continue;
      await this.stripe.invoiceItems.create(
        {
          customer: customerId,
          invoice: stripeInvoiceId,
          currency,
          amount: item.amount,
          description: item.description,
          metadata: { awan_invoice_id: document.invoiceId, awan_line_id: item.lineId },
        },
        { idempotencyKey: `awan-invoice-item-${document.invoiceId}-${item.lineId}` },
      );
    }

    // auto_advance from here on lets Stripe send the invoice and follow up on it.
    await this.stripe.invoices.finalizeInvoice(
      stripeInvoiceId,
      { auto_advance: true },
      { idempotencyKey: `awan-finalize-${document.invoiceId}` },
    );
    await this.progress.saveInvoice(document.invoiceId, stripeInvoiceId, true);
    return stripeInvoiceId;
  }

  /**
   * The Stripe invoice of an Awan invoice voided after its push stops being payable: voided, or
   * deleted while a draft (a push that never finished). One a customer paid in Stripe meanwhile
   * cannot be: that is answered, for finance to refund.
   */
  async void(invoiceId: string): Promise<StripeVoidOutcome> {
    const recorded = await this.progress.invoiceFor(invoiceId);
    if (!recorded) return 'not pushed';
    const invoice = await this.stripe.invoices.retrieve(recorded.stripeInvoiceId);
    switch (invoice.status) {
      case 'draft':
        await this.stripe.invoices.del(recorded.stripeInvoiceId);
        return 'voided';
      case 'open':
      case 'uncollectible':
        await this.stripe.invoices.voidInvoice(recorded.stripeInvoiceId, {}, { idempotencyKey: `awan-void-${invoiceId}` });
        return 'voided';
      case 'paid':
        return 'paid in Stripe';
      default:
        return 'voided'; // void already
    }
  }

  /**
   * The Stripe invoice of an Awan invoice paid outside Stripe stops being payable, and Stripe stops
   * reminding the customer of it: marked paid out of band, or deleted while a draft (a push that never
   * finished). Who paid it is read from Stripe's own figures, never from a mark of ours (a mark would
   * be wrong after a failed or unanswered payment): one the customer paid any of in Stripe is answered,
   * for finance to refund one of the payments. The reference goes on it as a note for finance.
   */
  async settleOutOfBand(invoiceId: string, reference: string): Promise<StripeSettleOutcome> {
    const recorded = await this.progress.invoiceFor(invoiceId);
    if (!recorded) return 'not pushed';
    const id = recorded.stripeInvoiceId;
    let invoice = await this.stripe.invoices.retrieve(id, PAID_OFF_STRIPE);
    switch (invoice.status) {
      case 'draft':
        await this.stripe.invoices.del(id);
        return 'settled';
      case 'open':
      case 'uncollectible':
        try {
          invoice = await this.stripe.invoices.pay(id, { paid_out_of_band: true, ...PAID_OFF_STRIPE }, { idempotencyKey: `awan-paid-out-of-band-${invoiceId}` });
        } catch (error) {
          // Refused as paid already: the customer paid it in Stripe between our look and our payment.
          invoice = await this.stripe.invoices.retrieve(id, PAID_OFF_STRIPE);
          if (invoice.status !== 'paid') throw error;
        }
        break;
      case 'paid':
        break;
      default:
        return 'settled'; // void: nothing to pay
    }
    if (invoice.amount_paid > (invoice.amount_paid_off_stripe ?? 0)) return 'paid in Stripe';
    if (invoice.metadata?.awan_paid_out_of_band !== reference) {
      await this.stripe.invoices.update(id, { metadata: { awan_paid_out_of_band: reference } }, { idempotencyKey: `awan-paid-out-of-band-mark-${invoiceId}` });
    }
    return 'settled';
  }

  /**
   * A credit note on a pushed invoice, once: on one still open it lowers what Stripe collects; on
   * one paid it goes to the customer's balance in Stripe, which Stripe takes off its next invoices.
   * Looked for on the invoice before it is made, as an idempotency key lasts only a day.
   */
  async credit(note: StripeCreditNoteDocument): Promise<'credited' | 'not pushed'> {
    const recorded = await this.progress.invoiceFor(note.invoiceId);
    if (!recorded?.finalized) return 'not pushed';
    for await (const made of this.stripe.creditNotes.list({ invoice: recorded.stripeInvoiceId, limit: 100 })) {
      if (made.metadata?.awan_credit_note_id === note.creditNoteId) return 'credited';
    }
    const amount = stripeAmount(note.amountMinor, note.currency, `credit note ${note.creditNoteId}`);
    const invoice = await this.stripe.invoices.retrieve(recorded.stripeInvoiceId);
    await this.stripe.creditNotes.create(
      {
        invoice: recorded.stripeInvoiceId,
        lines: [{ type: 'custom_line_item', description: `Credit note ${note.number}: ${note.reason}`, quantity: 1, unit_amount: amount }],
        ...(invoice.status === 'paid' ? { credit_amount: amount } : {}),
        memo: `Awan credit note ${note.number}`,
        metadata: { awan_credit_note_id: note.creditNoteId, awan_invoice_id: note.invoiceId, awan_number: note.number },
      },
      { idempotencyKey: `awan-credit-note-${note.creditNoteId}` },
    );
    return 'credited';
  }

  private async customerOf(document: StripeInvoiceDocument): Promise<string> {
    const known = await this.progress.customerFor(document.accountId);
    if (known) return known;
    const customer = await this.stripe.customers.create(
      {
        name: document.accountName,
        ...(document.email ? { email: document.email } : {}),
        metadata: { awan_account_id: document.accountId },
      },
      { idempotencyKey: `awan-customer-${document.accountId}` },
    );
    await this.progress.saveCustomer(document.accountId, customer.id);
    return customer.id;
  }

  private async createDraft(document: StripeInvoiceDocument, customerId: string): Promise<string> {
    const invoice = await this.stripe.invoices.create(
      {
        customer: customerId,
        currency: document.currency.toLowerCase(),
        collection_method: 'send_invoice',
        days_until_due: this.daysUntilDue,
        // Not until we finalize it: a draft left by a crash must not be finalized by Stripe
        // (an hour later, by default) with only some of its items.
        auto_advance: false,
        // Only the items we attach: never an invoice item the account has pending elsewhere.
        pending_invoice_items_behavior: 'exclude',
        // Our number is the invoice's legal one; Stripe numbers its own, so ours is shown beside it.
        custom_fields: [{ name: 'Awan invoice', value: document.number }],
        metadata: {
          awan_invoice_id: document.invoiceId,
          awan_account_id: document.accountId,
          awan_number: document.number,
        },
      },
      { idempotencyKey: `awan-invoice-${document.invoiceId}` },
    );
    return invoice.id;
  }

  /** The Awan lines a draft already has an item for. */
  private async linesOn(stripeInvoiceId: string): Promise<Set<string>> {
    const lines = new Set<string>();
    for await (const item of this.stripe.invoiceItems.list({ invoice: stripeInvoiceId, limit: 100 })) {
      const lineId = item.metadata?.awan_line_id;
      if (lineId) lines.add(lineId);
    }
    return lines;
  }
}

/** The items to create: lines with an amount, and the tax when there is some. */
function itemsOf(document: StripeInvoiceDocument): ItemToPush[] {
  const amount = (minor: string, what: string) => stripeAmount(minor, document.currency, `invoice ${document.invoiceId} ${what}`);
  const items = document.lines.map((line) => ({ lineId: line.id, description: line.description, amount: amount(line.amountMinor, `line ${line.id}`) }));
  items.push({ lineId: TAX_LINE_ID, description: document.taxDescription, amount: amount(document.taxMinor, 'tax') });
  return items.filter((item) => item.amount !== 0);
}

/**
 * Stripe's decimals where they are not ISO 4217's (docs.stripe.com/currencies): it takes ISK in
 * hundredths (100 is one króna) and MGA in whole ariary, where Awan's minor units are ISO's.
 */
const STRIPE_DECIMALS: Record<string, number> = { ISK: 2, MGA: 0 };
/** Stripe's three-decimal currencies, whose amounts it takes only in tens of their minor unit. */
const STRIPE_TENS_ONLY = new Set(['BHD', 'JOD', 'KWD', 'OMR', 'TND']);

/**
 * An amount in Awan's minor units (ISO 4217's) as Stripe takes it. One Stripe cannot take exactly
 * (MGA's cents, a three-decimal currency's last digit) is refused before anything is sent: Stripe
 * would refuse it, or bill another amount.
 */
export function stripeAmount(minor: string, currency: string, what: string): number {
  // Anything but a whole number here is a bug upstream, not a rounding choice.
  if (!/^-?\d+$/.test(minor)) throw new Error(`${what}: ${JSON.stringify(minor)} is not a whole number of minor units`);
  const iso = minorUnitsOf(currency);
  const shift = (STRIPE_DECIMALS[currency] ?? iso) - iso;
  let amount = BigInt(minor) * 10n ** BigInt(Math.max(shift, 0));
  const divisor = 10n ** BigInt(Math.max(-shift, 0)) * (STRIPE_TENS_ONLY.has(currency) ? 10n : 1n);
  if (amount % divisor !== 0n) throw new Error(`${what}: ${minor} minor units of ${currency} is no amount Stripe takes (it takes ${currency} in steps of ${divisor})`);
  if (shift < 0) amount /= divisor;
  const value = Number(amount);
  if (!Number.isSafeInteger(value)) throw new Error(`${what}: ${minor} minor units of ${currency} is more than Stripe takes`);
  return value;
}

export const stripeMigrations: Migration[] = [
  {
    id: '0390-stripe',
    sql: `
      CREATE TABLE stripe_customers (
        account_id text PRIMARY KEY,
        stripe_customer_id text NOT NULL
      );
      CREATE TABLE stripe_invoices (
        invoice_id uuid PRIMARY KEY,
        stripe_invoice_id text NOT NULL,
        finalized boolean NOT NULL,
        pushed_at timestamptz NOT NULL DEFAULT now()
      );
    `,
  },
];

/** `StripeProgress` in the billing schema. */
export class PgStripeProgress implements StripeProgress {
  constructor(private readonly sql: pg.Pool) {}

  async customerFor(accountId: string): Promise<string | null> {
    const { rows } = await this.sql.query<{ id: string }>(
      'SELECT stripe_customer_id AS id FROM stripe_customers WHERE account_id = $1',
      [accountId],
    );
    return rows[0]?.id ?? null;
  }

  async saveCustomer(accountId: string, stripeCustomerId: string): Promise<void> {
    // Two pushes for one account at once both get the same customer back (same key): the first row stands.
    await this.sql.query(
      'INSERT INTO stripe_customers (account_id, stripe_customer_id) VALUES ($1, $2) ON CONFLICT (account_id) DO NOTHING',
      [accountId, stripeCustomerId],
    );
  }

  async invoiceFor(invoiceId: string): Promise<{ stripeInvoiceId: string; finalized: boolean } | null> {
    const { rows } = await this.sql.query<{ stripeInvoiceId: string; finalized: boolean }>(
      'SELECT stripe_invoice_id AS "stripeInvoiceId", finalized FROM stripe_invoices WHERE invoice_id = $1',
      [invoiceId],
    );
    return rows[0] ?? null;
  }

  async saveInvoice(invoiceId: string, stripeInvoiceId: string, finalized: boolean): Promise<void> {
    // The first Stripe id recorded stands, and a late, slower attempt cannot unmark a finalized invoice.
    await this.sql.query(
      `INSERT INTO stripe_invoices (invoice_id, stripe_invoice_id, finalized) VALUES ($1, $2, $3)
       ON CONFLICT (invoice_id) DO UPDATE
       SET finalized = stripe_invoices.finalized OR excluded.finalized, pushed_at = now()`,
      [invoiceId, stripeInvoiceId, finalized],
    );
  }
}
