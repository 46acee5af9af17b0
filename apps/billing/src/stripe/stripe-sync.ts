import { Controller, HttpCode, HttpException, Inject, Injectable, Logger, Post, Req, type OnApplicationBootstrap, type OnApplicationShutdown } from '@nestjs/common';
import type { NatsConnection } from '@nats-io/transport-node';
import { randomUUID } from 'node:crypto';
import type pg from 'pg';
import type Stripe from 'stripe';
import { AppError, PLATFORM_SCOPE, SYSTEM_ACTOR, type BillingEvents, type EventMetadata } from '#libs/contracts';
import { EventConsumer, EventStore } from '#libs/event-store';
import { PG_POOL } from '#libs/event-sourcing';
import { NATS_CONNECTION } from '#libs/platform';
import { Accounts } from '../accounts/accounts.js';
import { Invoices } from '../invoices/invoices.js';
import { parseMinor } from '../money/money.js';
import { PLATFORM } from '../prices/price-list.decider.js';
import { createStripeClient } from './stripe-client.js';
import { PgStripeProgress, StripeInvoices, type StripeInvoiceDocument } from './stripe-invoices.js';
import { readStripeWebhook } from './stripe-webhook.js';

/** Stripe, when STRIPE_SECRET_KEY is set: the client, and the webhook's signing secret. */
export interface StripeSettings {
  stripe: Stripe;
  webhookSecret: string;
}

export const STRIPE_SETTINGS = Symbol('STRIPE_SETTINGS');

export function stripeSettings(env = process.env): StripeSettings | null {
  if (!env.STRIPE_SECRET_KEY) return null;
  return { stripe: createStripeClient(env.STRIPE_SECRET_KEY, env.STRIPE_API_BASE), webhookSecret: env.STRIPE_WEBHOOK_SECRET ?? '' };
}

const systemMetadata = (causationId: string): EventMetadata => ({ correlationId: randomUUID(), causationId, actor: SYSTEM_ACTOR });

/**
 * Pushes every finalized platform-issued invoice to Stripe. A durable consumer of billing's own
 * InvoiceFinalized: while Stripe is unreachable the event is redelivered with backoff, for
 * days, and the push's idempotency keys make each Stripe object once.
 */
@Injectable()
export class StripeSync implements OnApplicationBootstrap, OnApplicationShutdown {
  private readonly consumer: EventConsumer | null = null;

  constructor(
    @Inject(PG_POOL) pool: pg.Pool,
    store: EventStore,
    @Inject(NATS_CONNECTION) nats: NatsConnection,
    @Inject(STRIPE_SETTINGS) settings: StripeSettings | null,
    private readonly invoices: Invoices,
  ) {
    if (!settings) return;
    const push = new StripeInvoices(settings.stripe, new PgStripeProgress(pool));
    this.consumer = new EventConsumer({
      pool, schema: store.schema, service: 'billing', nats, name: 'billing-stripe', source: 'billing', filterSubject: 'events.billing.invoice.>',
      handle: async (event) => {
        const finalized = event.data as BillingEvents['InvoiceFinalized'];
        if (event.type !== 'InvoiceFinalized' || finalized.issuerId !== PLATFORM) return;
        const document = await this.documentOf(pool, finalized.invoiceId).catch((error: unknown) => {
          // Only another billing's event on a shared stream names an invoice this database lacks: nothing to push.
          if (error instanceof AppError && error.code === 'NOT_FOUND') return null;
          throw error;
        });
        if (document) await push.push(document);
      },
      inbox: false, // the push is idempotent by itself, and slow
      maxDeliver: 500,
      backoffMs: [1000, 5000, 30_000, 120_000, 600_000],
      ackWaitMs: 60_000,
      logger: new Logger('stripe'),
    });
  }

  async onApplicationBootstrap(): Promise<void> {
    await this.consumer?.start();
  }

  async onApplicationShutdown(): Promise<void> {
    await this.consumer?.stop();
  }

  private async documentOf(pool: pg.Pool, invoiceId: string): Promise<StripeInvoiceDocument> {
    const invoice = await this.invoices.get(invoiceId, { accountIds: PLATFORM_SCOPE });
    const account = (await Accounts.find(pool, invoice.accountId))!;
    const minor = (amount: string) => String(amount.startsWith('-') ? -parseMinor(amount.slice(1), 'amount', invoice.currency) : parseMinor(amount, 'amount', invoice.currency));
    return {
      invoiceId: invoice.id, number: invoice.number!, accountId: account.id, accountName: account.name, email: null, currency: invoice.currency,
      lines: invoice.lines.map((line) => ({ id: line.id, description: line.description, amountMinor: minor(line.amount) })),
      taxMinor: minor(invoice.tax), taxDescription: `Tax ${account.taxRate}`,
    };
  }
}

/** `POST /stripe/webhook`: Stripe's signed events about the invoices we pushed. */
@Controller('stripe')
export class StripeWebhookController {
  private readonly logger = new Logger('stripe-webhook');

  constructor(
    @Inject(STRIPE_SETTINGS) private readonly settings: StripeSettings | null,
    private readonly invoices: Invoices,
  ) {}

  @Post('webhook')
  @HttpCode(200)
  async receive(@Req() request: { rawBody?: Buffer; headers: Record<string, string | string[] | undefined> }): Promise<{ received: true }> {
    if (!this.settings) throw new HttpException('Stripe is not configured (STRIPE_SECRET_KEY)', 404);
    const signature = request.headers['stripe-signature'];
    let event;
    try {
      // The signature is over the bytes Stripe sent, so it is checked on the raw body, never on parsed JSON.
      event = readStripeWebhook(this.settings.stripe, request.rawBody ?? Buffer.alloc(0), Array.isArray(signature) ? signature[0] : signature, this.settings.webhookSecret);
    } catch (error) {
      if (error instanceof AppError) throw new HttpException(error.message, 400);
      throw error;
    }
    if (event.type === 'ignored' || !event.awanInvoiceId) return { received: true };
    try {
      if (event.type === 'invoice.paid') {
        await this.invoices.markPaid(event.awanInvoiceId, `stripe:${event.stripeInvoiceId}`, { accountIds: PLATFORM_SCOPE }, systemMetadata(event.id));
      } else {
        await this.invoices.recordPaymentFailure(event.awanInvoiceId, event.reason ?? 'payment failed', systemMetadata(event.id));
      }
    } catch (error) {
      // Stripe retries anything but a 2xx for days: a paid or voided invoice is not worth that.
      if (!(error instanceof AppError) || error.code === 'UNAVAILABLE') throw error;
      this.logger.warn(`Stripe ${event.type} for invoice ${event.awanInvoiceId} not applied: ${error.message}`);
    }
    return { received: true };
  }
}
