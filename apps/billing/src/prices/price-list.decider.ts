import type { Decider, DomainEvent } from '#libs/event-store';
import { AppError, type PriceGranularity, type StoppedBilling } from '#libs/contracts';
import { parseDecimal } from '../money/money.js';

/** A price as it is set: exact decimal strings, validated before they reach the decider. */
export interface PriceEntry {
  hourly: string;
  monthly: string;
  stoppedHourly: string | null;
  stoppedMonthly: string | null;
}

/**
 * A price list: the platform's, or a reseller's for its customers, in one currency, on the
 * stream `pricelist-<owner>-<currency>`. Every change is an event, so finance can see which
 * price was set when and by whom.
 */
export type PriceListEvent =
  | DomainEvent<'PriceSet', { ownerId: string; currency: string; sku: string } & PriceEntry>
  | DomainEvent<'PriceListOptionsSet', { ownerId: string; currency: string; granularity: PriceGranularity; stoppedBilling: StoppedBilling }>;

export type PriceListCommand =
  | { type: 'SetPrice'; ownerId: string; currency: string; sku: string; price: PriceEntry }
  | { type: 'SetOptions'; ownerId: string; currency: string; granularity: PriceGranularity; stoppedBilling: StoppedBilling };

export interface PriceListState {
  granularity: PriceGranularity;
  stoppedBilling: StoppedBilling;
  prices: Record<string, PriceEntry>;
}

export const PLATFORM = 'platform';
export const priceListStreamId = (ownerId: string, currency: string) => `pricelist-${ownerId}-${currency}`;

/**
 * A month never costs less than an hour: the monthly price (an HOURLY instance's cap) is at least
 * the hourly one, and so is the stopped monthly price (or the monthly one it falls back to) against
 * the stopped hourly one (or the hourly one).
 */
function requireMonthAtLeastHour(price: PriceEntry): void {
  const amount = (text: string, field: string) => parseDecimal(text, field);
  const hourly = amount(price.hourly, 'input.hourlyPrice');
  const monthly = amount(price.monthly, 'input.monthlyPrice');
  if (monthly < hourly) throw AppError.badInput('input.monthlyPrice', `must be at least one hour's price (${price.hourly}): a month never costs less than an hour`);
  const stoppedHourly = price.stoppedHourly === null ? hourly : amount(price.stoppedHourly, 'input.stoppedHourlyPrice');
  const stoppedMonthly = price.stoppedMonthly === null ? monthly : amount(price.stoppedMonthly, 'input.stoppedMonthlyPrice');
  if (stoppedMonthly < stoppedHourly) {
    const field = price.stoppedMonthly === null ? 'input.stoppedHourlyPrice' : 'input.stoppedMonthlyPrice';
    throw AppError.badInput(field, `a stopped month (${price.stoppedMonthly ?? price.monthly}) must cost at least a stopped hour (${price.stoppedHourly ?? price.hourly})`);
  }
}

const same = (a: PriceEntry | undefined, b: PriceEntry) =>
  !!a && a.hourly === b.hourly && a.monthly === b.monthly && a.stoppedHourly === b.stoppedHourly && a.stoppedMonthly === b.stoppedMonthly;

export const priceListDecider: Decider<PriceListCommand, PriceListState, PriceListEvent> = {
  initialState: () => ({ granularity: 'PER_SECOND', stoppedBilling: 'FULL', prices: {} }),

  decide(command, state) {
    const { ownerId, currency } = command;
    if (command.type === 'SetPrice') {
      requireMonthAtLeastHour(command.price);
      if (same(state.prices[command.sku], command.price)) return [];
      return [{ type: 'PriceSet', data: { ownerId, currency, sku: command.sku, ...command.price } }];
    }
    if (command.granularity !== 'PER_SECOND' && command.granularity !== 'PER_HOUR') throw AppError.badInput('input.granularity', 'must be PER_SECOND or PER_HOUR');
    if (command.stoppedBilling !== 'FULL' && command.stoppedBilling !== 'STOPPED_PRICE') throw AppError.badInput('input.stoppedBilling', 'must be FULL or STOPPED_PRICE');
    if (command.granularity === state.granularity && command.stoppedBilling === state.stoppedBilling) return [];
    return [{ type: 'PriceListOptionsSet', data: { ownerId, currency, granularity: command.granularity, stoppedBilling: command.stoppedBilling } }];
  },

  evolve(state, event) {
    if (event.type === 'PriceListOptionsSet') return { ...state, granularity: event.data.granularity, stoppedBilling: event.data.stoppedBilling };
    const { hourly, monthly, stoppedHourly, stoppedMonthly } = event.data;
    return { ...state, prices: { ...state.prices, [event.data.sku]: { hourly, monthly, stoppedHourly, stoppedMonthly } } };
  },
};
