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
  {
    id: '0321-price-history',
    sql: `
      -- Prices take effect when they are set: the read model keeps every price and options change
      -- with the moment it was set (the PriceSet or PriceListOptionsSet event's occurred_at), rebuilt
      -- here from the price-list streams. A list has its default options from its first event on.
      ALTER TABLE prices DROP CONSTRAINT prices_pkey;
      ALTER TABLE prices ADD COLUMN set_at timestamptz;
      DELETE FROM prices;
      INSERT INTO prices (owner_id, currency, sku, set_at, hourly, monthly, stopped_hourly, stopped_monthly)
      SELECT DISTINCT ON (data->>'ownerId', data->>'currency', data->>'sku', occurred_at)
             data->>'ownerId', data->>'currency', data->>'sku', occurred_at, (data->>'hourly')::numeric, (data->>'monthly')::numeric,
             (data->>'stoppedHourly')::numeric, (data->>'stoppedMonthly')::numeric
      FROM events WHERE type = 'PriceSet'
      ORDER BY data->>'ownerId', data->>'currency', data->>'sku', occurred_at, global_position DESC;
      ALTER TABLE prices ALTER COLUMN set_at SET NOT NULL;
      ALTER TABLE prices ADD PRIMARY KEY (owner_id, currency, sku, set_at);

      ALTER TABLE price_lists DROP CONSTRAINT price_lists_pkey;
      ALTER TABLE price_lists ADD COLUMN set_at timestamptz;
      DELETE FROM price_lists;
      INSERT INTO price_lists (owner_id, currency, set_at, granularity, stopped_billing)
      SELECT DISTINCT ON (owner_id, currency, set_at) owner_id, currency, set_at, granularity, stopped_billing FROM (
        SELECT data->>'ownerId' AS owner_id, data->>'currency' AS currency, min(occurred_at) AS set_at,
               'PER_SECOND' AS granularity, 'FULL' AS stopped_billing, 0 AS position
        FROM events WHERE type IN ('PriceSet', 'PriceListOptionsSet') GROUP BY 1, 2
        UNION ALL
        SELECT data->>'ownerId', data->>'currency', occurred_at, data->>'granularity', data->>'stoppedBilling', global_position
        FROM events WHERE type = 'PriceListOptionsSet'
      ) changes
      ORDER BY owner_id, currency, set_at, position DESC;
      ALTER TABLE price_lists ALTER COLUMN set_at SET NOT NULL;
      ALTER TABLE price_lists ADD PRIMARY KEY (owner_id, currency, set_at);
    `,
  },
];
