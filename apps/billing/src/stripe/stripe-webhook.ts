import type Stripe from 'stripe';
import { AppError } from '#libs/contracts';

/** What a Stripe webhook means to Awan. */
export interface StripeWebhookEvent {
  /** Stripe's event id (`evt_…`): Stripe delivers at least once, so it is the key to handle each once. */
  id: string;
  /** `invoice.overdue`: Stripe's word that an invoice it sent is unpaid past its due date, as dunning counts a failed payment. */
  type: 'invoice.paid' | 'invoice.payment_failed' | 'invoice.overdue' | 'ignored';
  /** From the Stripe invoice's `metadata.awan_invoice_id`; null for an invoice we did not push. */
  awanInvoiceId: string | null;
  stripeInvoiceId: string | null;
  /** Why a payment failed, in Stripe's words when it gave any. */
  reason: string | null;
}

/**
 * Verifies a webhook's `Stripe-Signature` against `secret` and reads it. `rawBody` must be the
 * bytes exactly as received: the signature is over them, and parsed-then-serialised JSON differs.
 * Throws BAD_USER_INPUT when the signature is missing, malformed, wrong or too old (Stripe's
 * tolerance, 5 minutes, against replays).
 */
export function readStripeWebhook(stripe: Stripe, rawBody: Buffer, signature: string | undefined, secret: string | null): StripeWebhookEvent {
  if (!secret?.trim()) {
    // Ours to fix, not the sender's: no request can pass without a secret.
    throw new Error('no Stripe webhook signing secret is configured');
  }
  if (!signature) {
    throw AppError.badInput('Stripe-Signature', 'the header is missing: only webhooks Stripe signed are accepted');
  }
  let event: Stripe.Event;
  try {
    event = stripe.webhooks.constructEvent(rawBody, signature, secret);
  } catch (error) {
    if (error instanceof stripe.errors.StripeSignatureVerificationError) {
      throw AppError.badInput('Stripe-Signature', `the header does not verify this payload: ${error.message}`);
    }
    throw error;
  }

  switch (event.type) {
    case 'invoice.paid':
      return { ...invoiceFields(event.id, event.data.object), type: 'invoice.paid', reason: null };
    case 'invoice.payment_failed':
      return { ...invoiceFields(event.id, event.data.object), type: 'invoice.payment_failed', reason: failureReason(event.data.object) };
    case 'invoice.overdue': {
      // Invoices are sent to be paid (send_invoice): one never paid fails no payment, it only passes its due date.
      const due = event.data.object.due_date;
      return { ...invoiceFields(event.id, event.data.object), type: 'invoice.overdue', reason: `unpaid past its due date${due ? `, ${new Date(due * 1000).toISOString().slice(0, 10)}` : ''}` };
    }
    default:
      return { id: event.id, type: 'ignored', awanInvoiceId: null, stripeInvoiceId: null, reason: null };
  }
}

function invoiceFields(id: string, invoice: Stripe.Invoice) {
  return { id, awanInvoiceId: invoice.metadata?.awan_invoice_id ?? null, stripeInvoiceId: invoice.id ?? null };
}

function failureReason(invoice: Stripe.Invoice): string {
  const finalization = invoice.last_finalization_error?.message;
  if (finalization) return finalization;
  // Since API version 2025-03-31 an invoice no longer names its charge; its payments carry the
  // charge or payment intent, as objects only where the payload was expanded.
  for (const { payment } of invoice.payments?.data ?? []) {
    if (typeof payment.charge === 'object' && payment.charge.failure_message) return payment.charge.failure_message;
    const intentError = typeof payment.payment_intent === 'object' ? payment.payment_intent.last_payment_error?.message : undefined;
    if (intentError) return intentError;
  }
  return 'payment failed';
}
