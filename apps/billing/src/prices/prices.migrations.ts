import type { Migration } from '#libs/event-store';

export const pricesMigrations: Migration[] = [
  {
    id: '0320-prices',
    sql: `
      -- The price-lists projection: per owner (the platform, or a reseller) and currency.
      CREATE TABLE price_lists (
        owner_id text NOT NULL,
        currency text NOT NULL,
        granularity text NOT NULL,
        stopped_billing text NOT NULL,
        PRIMARY KEY (owner_id, currency)
      );
      CREATE TABLE prices (
        owner_id text NOT NULL,
        currency text NOT NULL,
        sku text NOT NULL,
        hourly numeric NOT NULL,
        monthly numeric NOT NULL,
        stopped_hourly numeric,
        stopped_monthly numeric,
        PRIMARY KEY (owner_id, currency, sku)
      );
    `,
  },
];
