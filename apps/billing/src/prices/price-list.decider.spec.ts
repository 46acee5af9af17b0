import { deciderSpec } from '#libs/testing';
import { priceListDecider, type PriceListEvent } from './price-list.decider.js';

const price = { hourly: '0.01', monthly: '5.00', stoppedHourly: null, stoppedMonthly: null };
const set: PriceListEvent = { type: 'PriceSet', data: { ownerId: 'r1', currency: 'EUR', sku: 'ct-512m', ...price } };
const spec = deciderSpec(priceListDecider);

describe('price list decider', () => {
  it('records a price change, and nothing when the price is the same', () => {
    spec.given([]).when({ type: 'SetPrice', ownerId: 'r1', currency: 'EUR', sku: 'ct-512m', price }).then([set]);
    spec.given([set]).when({ type: 'SetPrice', ownerId: 'r1', currency: 'EUR', sku: 'ct-512m', price }).then([]);
  });

  it('sets the options, naming a bad one', () => {
    spec.given([]).when({ type: 'SetOptions', ownerId: 'r1', currency: 'EUR', granularity: 'PER_HOUR', stoppedBilling: 'FULL' })
      .then([{ type: 'PriceListOptionsSet', data: { ownerId: 'r1', currency: 'EUR', granularity: 'PER_HOUR', stoppedBilling: 'FULL' } }]);
    spec.given([]).when({ type: 'SetOptions', ownerId: 'r1', currency: 'EUR', granularity: 'PER_SECOND', stoppedBilling: 'FULL' }).then([]);
    spec.given([]).when({ type: 'SetOptions', ownerId: 'r1', currency: 'EUR', granularity: 'PER_DAY' as never, stoppedBilling: 'FULL' }).thenThrows(/input\.granularity/);
  });
});
