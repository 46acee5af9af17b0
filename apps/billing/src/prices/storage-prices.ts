import { type EventMetadata, SNAPSHOT_STORAGE_SKU } from '#libs/contracts';
import { decideInTransaction, readState, type EventStore, type Sql } from '#libs/event-store';
import { divideHalfEven, formatScaled, parseDecimal, UNIT } from '../money/money.js';
import { PLATFORM, priceListDecider, priceListStreamId, type PriceEntry } from './price-list.decider.js';

/** The skus of storage, each billed per GB-month of a stored thing's size. */
export const STORAGE_SKUS: readonly string[] = [SNAPSHOT_STORAGE_SKU];

const FOUR_DECIMALS = UNIT / 10_000n;

/** A 672nd of a monthly price (28 days of hours) to four decimals: a whole month of hourly use reaches the cap. */
export const hourlyOfMonthly = (monthly: string): string => formatScaled(divideHalfEven(parseDecimal(monthly, 'monthly'), 672n * FOUR_DECIMALS) * FOUR_DECIMALS);

/**
 * The platform's price of a GB-month of storage in a currency it has no price of its own in yet: 0.05 of
 * the currency's unit (ADMIN sets the real one with billing.price.set, resellers their customers').
 * Storage is rated per GB-month only: its hourly price is there because every price has one.
 */
const DEFAULT_STORAGE_MONTHLY = '0.05';
const defaultStoragePrice: PriceEntry = { monthly: formatScaled(parseDecimal(DEFAULT_STORAGE_MONTHLY, 'monthly')), hourly: hourlyOfMonthly(DEFAULT_STORAGE_MONTHLY), stoppedHourly: null, stoppedMonthly: null };

/**
 * Gives the platform's list in `currency` a price for each storage sku it has none for, in `tx`:
 * every currency the platform prices plans in prices storage too, so every stored thing can be rated.
 * A price set before is left as it is.
 */
export async function ensureStoragePrices(store: EventStore, tx: Sql, currency: string, metadata: EventMetadata): Promise<void> {
  const streamId = priceListStreamId(PLATFORM, currency);
  const { state } = await readState(store, streamId, priceListDecider, tx);
  for (const sku of STORAGE_SKUS.filter((s) => !state.prices[s])) {
    await decideInTransaction(store, tx, streamId, priceListDecider, { type: 'SetPrice', ownerId: PLATFORM, currency, sku, price: defaultStoragePrice }, metadata);
  }
}
