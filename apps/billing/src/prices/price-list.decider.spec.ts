import { deciderSpec } from '#libs/testing';
import { priceListDecider, type PriceEntry, type PriceListEvent } from './price-list.decider.js';

const price: PriceEntry = { hourly: '0.01', monthly: '5.00', stoppedHourly: null, stoppedMonthly: null };
const set: PriceListEvent = { type: 'PriceSet', data: { ownerId: 'r1', currency: 'EUR', sku: 'ct-512m', ...price } };
const spec = deciderSpec(priceListDecider);

describe('price list decider', () => {
  it('records a price change, and nothing when the price is the same', () => {
    spec.given([]).when({ type: 'SetPrice', ownerId: 'r1', currency: 'EUR', sku: 'ct-512m', price }).then([set]);
    spec.given([set]).when({ type: 'SetPrice', ownerId: 'r1', currency: 'EUR', sku: 'ct-512m', price }).then([]);
  });

  it('refuses a month cheaper than an hour, naming the field, running or stopped', () => {
    const setPrice = (entry: Partial<PriceEntry>) => ({ type: 'SetPrice' as const, ownerId: 'r1', currency: 'EUR', sku: 'ct-512m', price: { ...price, ...entry } });
    spec.given([]).when(setPrice({ hourly: '5.01', monthly: '5.00' })).thenThrows(/input\.monthlyPrice.*at least one hour's price \(5\.01\)/);
    spec.given([]).when(setPrice({ hourly: '5.00', monthly: '5.00' })).then([{ ...set, data: { ...set.data, hourly: '5.00' } }]);
    spec.given([]).when(setPrice({ stoppedHourly: '0.50', stoppedMonthly: '0.40' })).thenThrows(/input\.stoppedMonthlyPrice/);
    // A stopped hour dearer than the (full) monthly price a stopped month falls back to.
    spec.given([]).when(setPrice({ stoppedHourly: '6.00' })).thenThrows(/input\.stoppedHourlyPrice/);
    spec.given([]).when(setPrice({ stoppedHourly: '0.001', stoppedMonthly: '0.50' })).then([{ ...set, data: { ...set.data, stoppedHourly: '0.001', stoppedMonthly: '0.50' } }]);
  });

  it('sets the options, naming a bad one', () => {
    spec.given([]).when({ type: 'SetOptions', ownerId: 'r1', currency: 'EUR', granularity: 'PER_HOUR', stoppedBilling: 'FULL' })
      .then([{ type: 'PriceListOptionsSet', data: { ownerId: 'r1', currency: 'EUR', granularity: 'PER_HOUR', stoppedBilling: 'FULL' } }]);
    spec.given([]).when({ type: 'SetOptions', ownerId: 'r1', currency: 'EUR', granularity: 'PER_SECOND', stoppedBilling: 'FULL' }).then([]);
    spec.given([]).when({ type: 'SetOptions', ownerId: 'r1', currency: 'EUR', granularity: 'PER_DAY' as never, stoppedBilling: 'FULL' }).thenThrows(/input\.granularity/);
  });
});
