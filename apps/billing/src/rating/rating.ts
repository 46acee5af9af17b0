import { AppError, type BillingCycle, type PriceGranularity, type StoppedBilling } from '#libs/contracts';
import type { ResourceInfo, UsageSegment } from '../metering/meter.js';
import { divideHalfEven, formatUnits, scaledOfMinor, toMinor, UNIT } from '../money/money.js';

/** Prices in units of 10^-SCALE (money.ts). */
export interface Price {
  hourly: bigint;
  monthly: bigint;
  /** What a STOPPED instance costs where the list bills stopped instances at their own price. */
  stoppedHourly: bigint | null;
  stoppedMonthly: bigint | null;
}

export interface ListOptions {
  granularity: PriceGranularity;
  stoppedBilling: StoppedBilling;
}

const DEFAULT_OPTIONS: ListOptions = { granularity: 'PER_SECOND', stoppedBilling: 'FULL' };
const NO_CHANGES: readonly number[] = [];

/**
 * A price list's history in one currency: every price and options change with the whole second
 * it is in force from. A list has its default options from its first event on.
 */
export interface PriceHistory {
  prices: { sku: string; since: number; price: Price }[];
  options: ({ since: number } & ListOptions)[];
}

/** What usage is rated with: at each second, the prices and options then in force. */
export interface PriceBook {
  optionsAt(second: number): ListOptions;
  /** The sku's price in force at the second; CONFLICT when the sku never had one. */
  priceAt(sku: string, second: number): Price;
  /** The seconds strictly inside (from, to) at which what priceAt(sku) or optionsAt answers may change. */
  changesWithin(sku: string, from: number, to: number): readonly number[];
}

/** The change in force at `second`: the last one since at or before it. */
function inForce<T extends { since: number }>(changes: readonly T[] | undefined, second: number): T | undefined {
  let found: T | undefined;
  for (const change of changes ?? []) {
    if (change.since > second) break;
    found = change;
  }
  return found;
}

/**
 * Price lists in the order they are looked in (a reseller's, then the platform's), as one book. At
 * each second a sku costs the first list's price then in force; the options are those of the first
 * list that existed then. Usage from before a sku had any price (there was none to be in force) is
 * rated at its first price.
 */
export function priceBook(lists: readonly PriceHistory[], currency: string): PriceBook {
  const books = lists.map((list) => {
    const prices = new Map<string, { since: number; price: Price }[]>();
    for (const { sku, since, price } of [...list.prices].sort((a, b) => a.since - b.since)) {
      const changes = prices.get(sku) ?? [];
      changes.push({ since, price });
      prices.set(sku, changes);
    }
    const options = [...list.options].sort((a, b) => a.since - b.since);
    const startsAt = Math.min(...list.prices.map((p) => p.since), ...options.map((o) => o.since));
    return { prices, options, startsAt };
  });
  const earliest = [...books].sort((a, b) => a.startsAt - b.startsAt)[0];
  /** Per sku, every second at which its price or the options may change, in order: worked out once per book, asked for every segment rated. */
  const changes = new Map<string, number[]>();
  const changesOf = (sku: string) => {
    let seconds = changes.get(sku);
    if (!seconds) {
      const all = new Set<number>();
      for (const book of books) {
        all.add(book.startsAt);
        for (const change of book.prices.get(sku) ?? []) all.add(change.since);
        for (const change of book.options) all.add(change.since);
      }
      seconds = [...all].sort((a, b) => a - b);
      changes.set(sku, seconds);
    }
    return seconds;
  };
  return {
    optionsAt(second) {
      const book = books.find((b) => b.startsAt <= second) ?? earliest;
      if (!book) return DEFAULT_OPTIONS;
      return inForce(book.options, second) ?? book.options[0] ?? DEFAULT_OPTIONS;
    },
    priceAt(sku, second) {
      for (const book of books) {
        const change = inForce(book.prices.get(sku), second);
        if (change) return change.price;
      }
      let first: { since: number; price: Price } | undefined;
      for (const book of books) {
        const change = book.prices.get(sku)?.[0];
        if (change && (!first || change.since < first.since)) first = change;
      }
      if (!first) throw AppError.conflict(`no price for ${sku} in ${currency}: set one with setPrice`);
      return first.price;
    },
    changesWithin(sku, from, to) {
      const seconds = changesOf(sku);
      // Most segments see no change: they get no array of their own.
      for (const second of seconds) if (second > from && second < to) return seconds.filter((s) => s > from && s < to);
      return NO_CHANGES;
    },
  };
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
  /** Seconds of the segment rated on the line: inside the period, before `asOf`, at the line's unit price. */
  seconds: number;
}

/**
 * One invoice line: a resource's usage in one sku at one unit price (a price change within the
 * month makes a line per price), or the adjustment that brings an HOURLY resource to its cap.
 * round(quantity × unitPrice) = amount, half-even to the currency's minor unit (quantityOf).
 */
export interface RatedLine {
  kind: 'usage' | 'cap';
  sku: string;
  /** A usage line's quantity is in hours (HOURLY), months (MONTHLY) or GB-months (storage); a cap line's is 1. */
  unit: 'hour' | 'month' | 'GB-month' | 'cap';
  unitPrice: bigint;
  quantity: string;
  amountMinor: bigint;
  /** Seconds added to the last segment by the list's minimum (PER_SECOND) or started hour (PER_HOUR). */
  paddedSeconds: number;
  /** Every second of the line is at a plan's stopped price. */
  stoppedPrice: boolean;
  /** A cap line's cap: the monthly price it brings the resource to. */
  capMonthly: bigint | null;
  usage: RatedSegment[];
}

export interface RatedResource {
  info: ResourceInfo;
  lines: RatedLine[];
  /** The lines' sum. */
  amountMinor: bigint;
}

const HOUR = 3600;
const MINIMUM_SECONDS = 60;
const MB_PER_GB = 1024n;

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
export function paddedLife(seconds: number, granularity: PriceGranularity): number {
  return granularity === 'PER_HOUR' ? Math.max(1, Math.ceil(seconds / HOUR)) * HOUR : Math.max(seconds, MINIMUM_SECONDS);
}

/**
 * The quantity shown for `seconds` of usage in units of `per` seconds, so that quantity × unitPrice
 * rounded half-even to the currency's minor unit is the amount: the exact quantity where it has at
 * most six decimals; otherwise, of the two six-decimal numbers around it, the nearer one whose
 * product rounds to the amount (one of them always does while a unit price is under a million
 * minor units, 10,000.00 EUR, an hour or a month; dearer ones get more decimals, as many as they need).
 */
export function quantityOf(seconds: bigint, per: bigint, unitPrice: bigint, amountMinor: bigint, currency: string): string {
  for (let places = 6; places <= 40; places++) {
    const scale = 10n ** BigInt(places);
    const below = (seconds * scale) / per;
    const nearest = divideHalfEven(seconds * scale, per);
    const candidates = below * per === seconds * scale ? [below] : nearest === below ? [below, below + 1n] : [below + 1n, below];
    const found = candidates.find((q) => toMinor(q * unitPrice, scale * UNIT, currency) === amountMinor);
    if (found !== undefined) return formatUnits(found, places);
  }
  throw new Error(`no quantity of ${seconds}/${per} gives ${amountMinor} at ${unitPrice}`);
}

interface Piece {
  segment: UsageSegment;
  seconds: number;
  sku: string;
  unitPrice: bigint;
  stoppedPrice: boolean;
  /** The sku's full monthly price in force: what an HOURLY resource is capped at. */
  monthly: bigint;
}

/** The seconds of one line being gathered: a sku at one unit price, and the segments they are of. */
interface LineGroup {
  sku: string;
  unitPrice: bigint;
  seconds: number;
  paddedSeconds: number;
  stoppedPrice: boolean;
  usage: Map<UsageSegment, number>;
}

/** `seconds` of a segment from `second` on, at the price of that second under the book: its sku's, at the stopped price where the list says so. */
function priced(book: PriceBook, segment: UsageSegment, seconds: number, second: number, cycle: BillingCycle): Piece {
  const price = book.priceAt(segment.sku, second);
  const stopped = segment.state === 'STOPPED' && book.optionsAt(second).stoppedBilling === 'STOPPED_PRICE';
  const stoppedPrice = cycle === 'MONTHLY' ? price.stoppedMonthly : price.stoppedHourly;
  const unitPrice = stopped && stoppedPrice !== null ? stoppedPrice : cycle === 'MONTHLY' ? price.monthly : price.hourly;
  return { segment, seconds, sku: segment.sku, unitPrice, stoppedPrice: stopped && stoppedPrice !== null, monthly: price.monthly };
}

/**
 * A resource's usage in one calendar month, as ARCHITECTURE.md rates it, each second at the price
 * in force at that second. HOURLY: Σ seconds_i × hourly_i / 3600, the list's minimum or started
 * hour padding the resource's last segment (at its price when the life ends) in the period its life
 * ends in, and capped at the largest full monthly price in force during any of its billed seconds
 * in the month. MONTHLY: Σ seconds_i / seconds_in_month × monthly_i. Storage (a resource with a
 * size): Σ seconds_i × GB / seconds_in_month × monthly_i, its sku's monthly price per GB-month.
 * A line per (sku, unit price), each rounded once, half-even, to the currency's minor unit; where
 * an HOURLY resource's lines add up to more than its cap (rounded the same way), a cap line of the
 * difference brings it to the cap.
 */
export function rateResource(usage: ResourceUsage, period: Period, asOf: number, book: PriceBook, currency: string): RatedResource {
  // Storage is rated per GB-month of its size: MONTHLY's formula, each second weighing its size in GB.
  const sizeMb = usage.info.sizeMb;
  const stored = typeof sizeMb === 'number';
  const cycle = stored ? 'MONTHLY' : usage.info.billingCycle;
  const weight = stored ? BigInt(sizeMb) : 1n;
  const pieces: Piece[] = [];
  for (const segment of usage.segments) {
    const from = Math.max(segment.startedAt, period.start);
    const to = Math.min(segment.endedAt ?? asOf, period.end, asOf);
    if (to <= from) continue;
    // A piece from each change of price or options to the next.
    const changes = book.changesWithin(segment.sku, from, to);
    for (let i = 0, start = from; i <= changes.length; i++) {
      const end = i < changes.length ? changes[i] : to;
      pieces.push(priced(book, segment, end - start, start, cycle));
      start = end;
    }
  }
  const last = usage.segments.at(-1);
  let padding: Piece | null = null;
  if (cycle === 'HOURLY' && last && usage.life.endsAt > period.start && usage.life.endsAt <= period.end) {
    const lastSecond = Math.max(last.startedAt, usage.life.endsAt - 1);
    const seconds = paddedLife(usage.life.seconds, book.optionsAt(lastSecond).granularity) - usage.life.seconds;
    if (seconds > 0) padding = priced(book, last, seconds, lastSecond, cycle);
  }

  const groups = new Map<string, LineGroup>();
  const groupOf = (piece: Piece) => {
    const key = `${piece.sku}\u0000${piece.unitPrice}`;
    const group = groups.get(key) ?? { sku: piece.sku, unitPrice: piece.unitPrice, seconds: 0, paddedSeconds: 0, stoppedPrice: true, usage: new Map() };
    group.seconds += piece.seconds;
    group.stoppedPrice &&= piece.stoppedPrice;
    groups.set(key, group);
    return group;
  };
  for (const piece of pieces) {
    const { usage: segments } = groupOf(piece);
    segments.set(piece.segment, (segments.get(piece.segment) ?? 0) + piece.seconds);
  }
  if (padding) {
    const group = groupOf(padding);
    group.paddedSeconds = padding.seconds;
    // Padding is no segment's own time, but the line names the segment it pads.
    if (!group.usage.has(padding.segment)) group.usage.set(padding.segment, 0);
  }

  const per = BigInt(cycle === 'MONTHLY' ? period.end - period.start : HOUR) * (stored ? MB_PER_GB : 1n);
  const lines: RatedLine[] = [...groups.values()].map((group) => {
    const measure = BigInt(group.seconds) * weight;
    const amountMinor = toMinor(measure * group.unitPrice, per * UNIT, currency);
    return {
      kind: 'usage', sku: group.sku, unit: stored ? 'GB-month' : cycle === 'MONTHLY' ? 'month' : 'hour', unitPrice: group.unitPrice,
      quantity: quantityOf(measure, per, group.unitPrice, amountMinor, currency), amountMinor,
      paddedSeconds: group.paddedSeconds, stoppedPrice: group.stoppedPrice, capMonthly: null,
      usage: [...group.usage].map(([segment, seconds]) => ({ segment, seconds })),
    };
  });
  let amountMinor = lines.reduce((sum, line) => sum + line.amountMinor, 0n);

  const billed = padding ? [...pieces, padding] : pieces;
  if (cycle === 'HOURLY' && billed.length > 0) {
    const capping = billed.reduce((max, piece) => (piece.monthly > max.monthly ? piece : max));
    const capMinor = toMinor(capping.monthly, UNIT, currency);
    if (amountMinor > capMinor) {
      const adjustment = capMinor - amountMinor;
      lines.push({
        kind: 'cap', sku: capping.sku, unit: 'cap', unitPrice: scaledOfMinor(adjustment, currency), quantity: '1',
        amountMinor: adjustment, paddedSeconds: 0, stoppedPrice: false, capMonthly: capping.monthly, usage: [],
      });
      amountMinor = capMinor;
    }
  }
  return { info: usage.info, lines, amountMinor };
}

/** Tax on an invoice's subtotal at the account's rate (units of 10^-SCALE), rounded once, half-even. */
export const taxOf = (subtotalMinor: bigint, taxRate: bigint): bigint => divideHalfEven(subtotalMinor * taxRate, UNIT);
