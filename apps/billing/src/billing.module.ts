import { Module, type DynamicModule } from '@nestjs/common';
import type pg from 'pg';
import { EventStore } from '#libs/event-store';
import { type DatabaseConfig, EventSourcingModule, PG_POOL } from '#libs/event-sourcing';
import { platformImports, type ServiceConfig } from '#libs/platform';
import { AccountsController } from './accounts/accounts.controller.js';
import { billingEventStore } from './billing.event-store.js';
import { BillingJobs } from './invoices/billing-jobs.js';
import { InvoiceRating } from './invoices/invoice-rating.js';
import { Invoices } from './invoices/invoices.js';
import { InvoicesController } from './invoices/invoices.controller.js';
import { MeteringConsumer } from './metering/metering.consumer.js';
import { Prices } from './prices/prices.js';
import { PricesController } from './prices/prices.controller.js';
import { STRIPE_SETTINGS, StripeSync, StripeWebhookController, stripeSettings } from './stripe/stripe-sync.js';

/** The billing service: metering, rating, invoices, Stripe. */
@Module({})
export class BillingModule {
  static forRoot(config: ServiceConfig, database: DatabaseConfig): DynamicModule {
    return {
      module: BillingModule,
      imports: [...platformImports(config), EventSourcingModule.forService(billingEventStore, database)],
      controllers: [AccountsController, InvoicesController, PricesController, StripeWebhookController],
      providers: [
        {
          provide: Prices,
          inject: [PG_POOL, EventStore],
          useFactory: async (pool: pg.Pool, store: EventStore) => {
            const prices = new Prices(pool, store);
            await prices.seed();
            return prices;
          },
        },
        { provide: Invoices, inject: [PG_POOL, EventStore, Prices], useFactory: (pool: pg.Pool, store: EventStore, prices: Prices) => new Invoices(pool, store, new InvoiceRating(prices)) },
        { provide: STRIPE_SETTINGS, useFactory: () => stripeSettings() },
        MeteringConsumer,
        BillingJobs,
        StripeSync,
      ],
    };
  }
}
