import type { Projection } from '#libs/event-store';
import type { PriceListEvent } from './price-list.decider.js';

export const pricesProjection: Projection = {
  name: 'price-lists',
  eventTypes: ['PriceSet', 'PriceListOptionsSet'],
  async apply(tx, recorded) {
    const event = recorded as unknown as PriceListEvent;
    const { ownerId, currency } = event.data;
    // A list exists from its first event, with the defaults until its options are set.
    await tx.query(
      `INSERT INTO price_lists (owner_id, currency, granularity, stopped_billing) VALUES ($1, $2, 'PER_SECOND', 'FULL') ON CONFLICT DO NOTHING`,
      [ownerId, currency],
    );
    if (event.type === 'PriceListOptionsSet') {
      await tx.query('UPDATE price_lists SET granularity = $3, stopped_billing = $4 WHERE owner_id = $1 AND currency = $2', [
        ownerId, currency, event.data.granularity, event.data.stoppedBilling,
      ]);
      return;
    }
    const d = event.data;
    await tx.query(
      `INSERT INTO prices (owner_id, currency, sku, hourly, monthly, stopped_hourly, stopped_monthly) VALUES ($1, $2, $3, $4, $5, $6, $7)
       ON CONFLICT (owner_id, currency, sku) DO UPDATE SET hourly = $4, monthly = $5, stopped_hourly = $6, stopped_monthly = $7`,
      [ownerId, currency, d.sku, d.hourly, d.monthly, d.stoppedHourly, d.stoppedMonthly],
    );
  },
  async clear(tx) {
    await tx.query('DELETE FROM prices');
    await tx.query('DELETE FROM price_lists');
  },
};
