import { type EventStoreDefinition } from '#libs/event-sourcing';
import { accountStandingProjection } from './accounts/account-standing.projection.js';
import { accountsMigrations } from './accounts/accounts.migrations.js';
import { invoicesMigrations } from './invoices/invoices.migrations.js';
import { invoicesProjection } from './invoices/invoices.projection.js';
import { meteringMigrations } from './metering/metering.migrations.js';
import { pricesMigrations } from './prices/prices.migrations.js';
import { pricesProjection } from './prices/prices.projection.js';
import { stripeMigrations } from './stripe/stripe-invoices.js';

export const billingEventStore: EventStoreDefinition = {
  service: 'billing',
  migrations: [...accountsMigrations, ...meteringMigrations, ...pricesMigrations, ...invoicesMigrations, ...stripeMigrations],
  projections: [accountStandingProjection, pricesProjection, invoicesProjection],
};
