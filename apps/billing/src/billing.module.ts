import { Module, type DynamicModule } from '@nestjs/common';
import type pg from 'pg';
import { EventStore } from '#libs/event-store';
import { type DatabaseConfig, EventSourcingModule, PG_POOL } from '#libs/event-sourcing';
import { AccountQueue, platformImports, type ServiceConfig } from '#libs/platform';
import { AccountsController } from './accounts/accounts.controller.js';
import { Dunning } from './accounts/dunning.js';
import { BILLING_CONFIG, type BillingConfig } from './billing.config.js';
import { billingEventStore } from './billing.event-store.js';
import { BillingFacts } from './billing-facts.js';
import { BillingJobs } from './billing-jobs.js';
import { InvoiceFinalization } from './invoices/invoice-finalization.js';
import { InvoicesMetrics } from './invoices/invoices.metrics.js';
import { InvoiceQueries } from './invoices/invoice-queries.js';
import { InvoiceRating } from './invoices/invoice-rating.js';
import { InvoicesController } from './invoices/invoices.controller.js';
import { InvoicesRepository } from './invoices/invoices.repository.js';
import { MonthClose } from './invoices/month-close.js';
import { MeteringConsumer } from './metering/metering.consumer.js';
import { PlanPricesConsumer } from './prices/plan-prices.consumer.js';
import { Prices } from './prices/prices.js';
import { PricesController } from './prices/prices.controller.js';
import { createStripeClient, STRIPE } from './stripe/stripe-client.js';
import { StripeSync } from './stripe/stripe-sync.js';
import { StripeWebhookController } from './stripe/stripe-webhook.controller.js';

/**
 * The billing service, wired here and nowhere else: its configuration, read once by main.ts; the
 * capabilities (plain classes, made by the factories below); the controllers that answer for them;
 * and the consumers and jobs, which start and stop with the application.
 */
@Module({})
export class BillingModule {
  static forRoot(service: ServiceConfig, database: DatabaseConfig, config: BillingConfig): DynamicModule {
    return {
      module: BillingModule,
      imports: [...platformImports(service), EventSourcingModule.forService(billingEventStore, database)],
      controllers: [AccountsController, InvoicesController, PricesController, StripeWebhookController],
      providers: [
        { provide: BILLING_CONFIG, useValue: config },
        { provide: STRIPE, useFactory: () => (config.stripe ? createStripeClient(config.stripe.secretKey, config.stripe.server) : null) },
        {
          provide: Prices,
          inject: [PG_POOL, EventStore],
          // A first start has prices to rate with before anything asks.
          useFactory: async (pool: pg.Pool, store: EventStore) => {
            const prices = new Prices(pool, store);
            await prices.seed();
            return prices;
          },
        },
        { provide: InvoiceRating, inject: [Prices], useFactory: (prices: Prices) => new InvoiceRating(prices) },
        { provide: InvoicesRepository, inject: [PG_POOL], useFactory: (pool: pg.Pool) => new InvoicesRepository(pool) },
        {
          provide: InvoiceQueries,
          inject: [PG_POOL, InvoicesRepository, InvoiceRating],
          useFactory: (pool: pg.Pool, invoices: InvoicesRepository, rating: InvoiceRating) => new InvoiceQueries(pool, invoices, rating),
        },
        {
          provide: Dunning,
          inject: [PG_POOL, EventStore, InvoicesRepository],
          useFactory: (pool: pg.Pool, store: EventStore, invoices: InvoicesRepository) => new Dunning(pool, store, invoices),
        },
        {
          provide: InvoiceFinalization,
          inject: [PG_POOL, EventStore, InvoicesRepository, InvoiceRating, InvoiceQueries, Dunning],
          useFactory: (pool: pg.Pool, store: EventStore, invoices: InvoicesRepository, rating: InvoiceRating, queries: InvoiceQueries, dunning: Dunning) =>
            new InvoiceFinalization(pool, store, invoices, rating, queries, dunning, new InvoicesMetrics(), new AccountQueue(config.issuerQueueWaitMs)),
        },
        {
          provide: MonthClose,
          inject: [PG_POOL, EventStore, InvoicesRepository],
          useFactory: (pool: pg.Pool, store: EventStore, invoices: InvoicesRepository) => new MonthClose(pool, store, invoices),
        },
        MeteringConsumer,
        PlanPricesConsumer,
        BillingJobs,
        BillingFacts,
        StripeSync,
      ],
    };
  }
}
