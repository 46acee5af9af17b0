import type { Projection } from '#libs/event-store';
import type { PriceListEvent } from './price-list.decider.js';

export const pricesProjection: Projection = {
  name: 'price-lists',
  eventTypes: ['PriceSet', 'PriceListOptionsSet'],
  async apply(tx, recorded) {
    const event = recorded as unknown as PriceListEvent;
    const { ownerId, currency } = event.data;
    // Every change is kept with when it was set: usage is rated at the prices in force when it happened.
    // A list has its default options from its first event.
    await tx.query(
      `INSERT INTO price_lists (owner_id, currency, set_at, granularity, stopped_billing)
       SELECT $1, $2, $3, 'PER_SECOND', 'FULL' WHERE NOT EXISTS (SELECT 1 FROM price_lists WHERE owner_id = $1 AND currency = $2)`,
      [ownerId, currency, recorded.occurredAt],
    );
    if (event.type === 'PriceListOptionsSet') {
      await tx.query(
        `INSERT INTO price_lists (owner_id, currency, set_at, granularity, stopped_billing) VALUES ($1, $2, $3, $4, $5)
         ON CONFLICT (owner_id, currency, set_at) DO UPDATE SET granularity = $4, stopped_billing = $5`,
        [ownerId, currency, recorded.occurredAt, event.data.granularity, event.data.stoppedBilling],
      );
      return;
    }
    const d = event.data;
    await tx.query(
      `INSERT INTO prices (owner_id, currency, sku, set_at, hourly, monthly, stopped_hourly, stopped_monthly) VALUES ($1, $2, $3, $4, $5, $6, $7, $8)
       ON CONFLICT (owner_id, currency, sku, set_at) DO UPDATE SET hourly = $5, monthly = $6, stopped_hourly = $7, stopped_monthly = $8`,
      [ownerId, currency, d.sku, recorded.occurredAt, d.hourly, d.monthly, d.stoppedHourly, d.stoppedMonthly],
    );
  },
  async clear(tx) {
    await tx.query('DELETE FROM prices');
    await tx.query('DELETE FROM price_lists');
  },
};
