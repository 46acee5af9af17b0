import type { BillingCycle } from '#libs/contracts';
import type { ResourceInfo, UsageSegment } from '../metering/meter.js';
import { divideHalfEven, formatUnits, toMinor, UNIT } from '../money/money.js';

/** Prices in units of 10^-SCALE (money.ts). */
export interface Price {
  hourly: bigint;
  monthly: bigint;
  /** What a STOPPED instance costs where the list bills stopped instances at their own price. */
  stoppedHourly: bigint | null;
  stoppedMonthly: bigint | null;
}

/** PER_SECOND: to the second, with a 60-second minimum per resource; PER_HOUR: every started hour. */
export type Granularity = 'PER_SECOND' | 'PER_HOUR';
/** FULL: a stopped instance costs what a running one does; STOPPED_PRICE: its plan's stopped price. */
export type StoppedBilling = 'FULL' | 'STOPPED_PRICE';

export interface PriceList {
  granularity: Granularity;
  stoppedBilling: StoppedBilling;
  /** The price of a sku; throws when the list has none. */
  priceOf(sku: string): Price;
}

/** A calendar month in UTC, [start, end) in seconds since the epoch. */
export interface Period {
  start: number;
  end: number;
}

/** How long a resource has been billed so far, over all periods, and when that life ends (now, for a live one). */
export interface Life {
  seconds: number;
  endsAt: number;
}

export interface ResourceUsage {
  info: ResourceInfo;
  /** Its segments that overlap the period, oldest first. */
  segments: UsageSegment[];
  life: Life;
}

export interface RatedSegment {
  segment: UsageSegment;
  /** Seconds of the segment inside the period (and before `asOf`). */
  seconds: number;
}

export interface RatedLine {
  info: ResourceInfo;
  sku: string;
  billingCycle: BillingCycle;
  /** In `unit`s, six decimals: shown on the invoice; the amount is rated from the seconds, not from it. */
  quantity: string;
  unit: 'hour' | 'month';
  unitPrice: bigint;
  amountMinor: bigint;
  /** An HOURLY line that reached the monthly price of the largest plan it had. */
  capped: boolean;
  /** Seconds added to the last segment by the list's minimum (PER_SECOND) or started hour (PER_HOUR). */
  paddedSeconds: number;
  usage: RatedSegment[];
}

const HOUR = 3600;
const MINIMUM_SECONDS = 60;

export function monthOf(second: number): Period {
  const date = new Date(second * 1000);
  const start = Date.UTC(date.getUTCFullYear(), date.getUTCMonth(), 1) / 1000;
  const end = Date.UTC(date.getUTCFullYear(), date.getUTCMonth() + 1, 1) / 1000;
  return { start, end };
}

/** Billed seconds of a segment in a period, counting an open segment up to `asOf`. */
export function secondsIn(segment: UsageSegment, period: Period, asOf: number): number {
  const end = Math.min(segment.endedAt ?? asOf, period.end, asOf);
  return Math.max(0, end - Math.max(segment.startedAt, period.start));
}

/** A resource's whole billed life up to `asOf`, from all of its segments. */
export function lifeOf(segments: readonly UsageSegment[], asOf: number): Life {
  const all = { start: Number.NEGATIVE_INFINITY, end: Number.POSITIVE_INFINITY };
  const last = segments.at(-1);
  return {
    seconds: segments.reduce((sum, s) => sum + secondsIn(s, all, asOf), 0),
    endsAt: last ? Math.min(last.endedAt ?? asOf, asOf) : asOf,
  };
}

/** The seconds a life is billed for under the list's rule. */
export function paddedLife(seconds: number, granularity: Granularity): number {
  return granularity === 'PER_HOUR' ? Math.max(1, Math.ceil(seconds / HOUR)) * HOUR : Math.max(seconds, MINIMUM_SECONDS);
}

const inPeriod = (second: number, period: Period) => second > period.start && second <= period.end;

function effectivePrice(prices: PriceList, segment: UsageSegment): { hourly: bigint; monthly: bigint } {
  const price = prices.priceOf(segment.sku);
  if (segment.state === 'STOPPED' && prices.stoppedBilling === 'STOPPED_PRICE') {
    return { hourly: price.stoppedHourly ?? price.hourly, monthly: price.stoppedMonthly ?? price.monthly };
  }
  return { hourly: price.hourly, monthly: price.monthly };
}

const sixDecimals = (numerator: bigint, denominator: bigint) => formatUnits(divideHalfEven(numerator * 1_000_000n, denominator), 6);

/**
 * One invoice line: a resource's usage in one calendar month, as ARCHITECTURE.md rates it.
 * HOURLY: min(Σ seconds_i × hourly_i / 3600, max_i monthly_i), the list's minimum or started
 * hour padding the resource's last segment in the period its life ends in.
 * MONTHLY: Σ seconds_i / seconds_in_month × monthly_i.
 * Rounded once, half-even, to the currency's minor unit.
 */
export function rateResource(usage: ResourceUsage, period: Period, asOf: number, prices: PriceList, currency: string): RatedLine {
  const rated = usage.segments.map((segment) => ({ segment, seconds: secondsIn(segment, period, asOf) }));
  const last = rated.at(-1)!;
  const lastPrice = effectivePrice(prices, last.segment);
  if (usage.info.billingCycle === 'MONTHLY') {
    const monthSeconds = BigInt(period.end - period.start);
    let numerator = 0n;
    let seconds = 0n;
    for (const { segment, seconds: s } of rated) {
      numerator += BigInt(s) * effectivePrice(prices, segment).monthly;
      seconds += BigInt(s);
    }
    return {
      info: usage.info, sku: last.segment.sku, billingCycle: 'MONTHLY', capped: false, paddedSeconds: 0, usage: rated,
      quantity: sixDecimals(seconds, monthSeconds), unit: 'month', unitPrice: lastPrice.monthly,
      amountMinor: toMinor(numerator, monthSeconds * UNIT, currency),
    };
  }

  const padded = inPeriod(usage.life.endsAt, period) ? paddedLife(usage.life.seconds, prices.granularity) - usage.life.seconds : 0;
  let numerator = BigInt(padded) * lastPrice.hourly;
  let seconds = BigInt(padded);
  let cap = 0n;
  for (const { segment, seconds: s } of rated) {
    numerator += BigInt(s) * effectivePrice(prices, segment).hourly;
    seconds += BigInt(s);
    const monthly = prices.priceOf(segment.sku).monthly;
    if (monthly > cap) cap = monthly;
  }
  const denominator = BigInt(HOUR) * UNIT;
  const capped = numerator > cap * BigInt(HOUR);
  return {
    info: usage.info, sku: last.segment.sku, billingCycle: 'HOURLY', capped, paddedSeconds: padded, usage: rated,
    quantity: capped ? '1.000000' : sixDecimals(seconds, BigInt(HOUR)),
    unit: capped ? 'month' : 'hour',
    unitPrice: capped ? cap : lastPrice.hourly,
    amountMinor: toMinor(capped ? cap * BigInt(HOUR) : numerator, denominator, currency),
  };
}

/** Tax on an invoice's subtotal at the account's rate (units of 10^-SCALE), rounded once, half-even. */
export const taxOf = (subtotalMinor: bigint, taxRate: bigint): bigint => divideHalfEven(subtotalMinor * taxRate, UNIT);
