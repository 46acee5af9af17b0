import { Module, type DynamicModule } from '@nestjs/common';
import { platformImports, type ServiceConfig } from '#libs/platform';
import { billingEventStore } from './billing.event-store.js';

/** The billing service: metering, rating, invoices, Stripe. */
@Module({})
export class BillingModule {
  static forRoot(config: ServiceConfig): DynamicModule {
    return { module: BillingModule, imports: platformImports(config, billingEventStore) };
  }
}
