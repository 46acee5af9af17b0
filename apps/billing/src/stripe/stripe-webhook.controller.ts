import { Controller, HttpCode, HttpException, Inject, Logger, Post, Req } from '@nestjs/common';
import { randomUUID } from 'node:crypto';
import type Stripe from 'stripe';
import { AppError, PLATFORM_SCOPE, SYSTEM_ACTOR, type EventMetadata } from '#libs/contracts';
import { Dunning } from '../accounts/dunning.js';
import { BILLING_CONFIG, type BillingConfig } from '../billing.config.js';
import { InvoiceFinalization } from '../invoices/invoice-finalization.js';
import { STRIPE } from './stripe-client.js';
import { stripePaymentReference } from './stripe-invoices.js';
import { readStripeWebhook } from './stripe-webhook.js';

const systemMetadata = (causationId: string): EventMetadata => ({ correlationId: randomUUID(), causationId, actor: SYSTEM_ACTOR });

/** `POST /stripe/webhook`: Stripe's signed events about the invoices we pushed. */
@Controller('stripe')
export class StripeWebhookController {
  private readonly logger = new Logger('stripe-webhook');

  constructor(
    @Inject(STRIPE) private readonly stripe: Stripe | null,
    @Inject(BILLING_CONFIG) private readonly config: BillingConfig,
    private readonly finalization: InvoiceFinalization,
    private readonly dunning: Dunning,
  ) {}

  @Post('webhook')
  @HttpCode(200)
  async receive(@Req() request: { rawBody?: Buffer; headers: Record<string, string | string[] | undefined> }): Promise<{ received: true }> {
    if (!this.stripe) throw new HttpException('Stripe is not configured (STRIPE_SECRET_KEY)', 404);
    const signature = request.headers['stripe-signature'];
    let event;
    try {
      // The signature is over the bytes Stripe sent, so it is checked on the raw body, never on parsed JSON.
      event = readStripeWebhook(this.stripe, request.rawBody ?? Buffer.alloc(0), Array.isArray(signature) ? signature[0] : signature, this.config.stripe?.webhookSecret ?? null);
    } catch (error) {
      if (error instanceof AppError) throw new HttpException(error.message, 400);
      throw error;
    }
    if (event.type === 'ignored' || !event.awanInvoiceId) return { received: true };
    try {
      if (event.type === 'invoice.paid') {
        await this.finalization.markPaid(event.awanInvoiceId, stripePaymentReference(event.stripeInvoiceId ?? 'unknown'), { accountIds: PLATFORM_SCOPE }, systemMetadata(event.id));
      } else {
        await this.dunning.recordPaymentFailure(event.awanInvoiceId, event.reason ?? 'payment failed', systemMetadata(event.id));
      }
    } catch (error) {
      // Stripe retries anything but a 2xx for days: a paid or voided invoice is not worth that.
      if (!(error instanceof AppError) || error.code === 'UNAVAILABLE') throw error;
      this.logger.warn(`Stripe ${event.type} for invoice ${event.awanInvoiceId} not applied: ${error.message}`);
    }
    return { received: true };
  }
}
