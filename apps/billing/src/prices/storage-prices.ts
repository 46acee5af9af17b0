import { BACKUP_STORAGE_SKU, type EventMetadata, SNAPSHOT_STORAGE_SKU } from '#libs/contracts';
import { decideInTransaction, readState, type EventStore, type Sql } from '#libs/event-store';
import { divideHalfEven, formatScaled, parseDecimal, UNIT } from '../money/money.js';
import { PLATFORM, priceListDecider, priceListStreamId, type PriceEntry } from './price-list.decider.js';

/**
 * The platform's price of a GB-month of each storage sku in a currency it has no price of its own in
 * yet, in the currency's unit (ADMIN sets the real one with billing.price.setStorage, resellers their customers').
 */
const DEFAULT_STORAGE_MONTHLY: Readonly<Record<string, string>> = { [SNAPSHOT_STORAGE_SKU]: '0.05', [BACKUP_STORAGE_SKU]: '0.02' };

/** The skus of storage, each billed per GB-month of a stored thing's size. */
export const STORAGE_SKUS: readonly string[] = Object.keys(DEFAULT_STORAGE_MONTHLY);

const FOUR_DECIMALS = UNIT / 10_000n;

/** A 672nd of a monthly price (28 days of hours) to four decimals: a whole month of hourly use reaches the cap. */
export const hourlyOfMonthly = (monthly: string): string => formatScaled(divideHalfEven(parseDecimal(monthly, 'monthly'), 672n * FOUR_DECIMALS) * FOUR_DECIMALS);

/**
 * A storage sku's price from its price per GB-month (BAD_USER_INPUT naming `field` unless a decimal).
 * Storage is rated per GB-month only: its hourly price is there because every price has one.
 */
export function storagePrice(monthly: unknown, field: string): PriceEntry {
  const scaled = formatScaled(parseDecimal(monthly, field));
  return { monthly: scaled, hourly: hourlyOfMonthly(scaled), stoppedHourly: null, stoppedMonthly: null };
}

/**
 * Gives the platform's list in `currency` a price for each storage sku it has none for, in `tx`:
 * every currency the platform prices plans in prices storage too, so every stored thing can be rated.
 * A price set before is left as it is.
 */
export async function ensureStoragePrices(store: EventStore, tx: Sql, currency: string, metadata: EventMetadata): Promise<void> {
  const streamId = priceListStreamId(PLATFORM, currency);
  const { state } = await readState(store, streamId, priceListDecider, tx);
  for (const sku of STORAGE_SKUS.filter((s) => !state.prices[s])) {
    const price = storagePrice(DEFAULT_STORAGE_MONTHLY[sku], 'monthly');
    await decideInTransaction(store, tx, streamId, priceListDecider, { type: 'SetPrice', ownerId: PLATFORM, currency, sku, price }, metadata);
  }
}
