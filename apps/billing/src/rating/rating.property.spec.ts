import type { BillingCycle } from '#libs/contracts';
import { meterInstance, type MeterEvent } from '../metering/meter.js';
import { formatMinor, parseDecimal } from '../money/money.js';
import type { PriceGranularity, StoppedBilling } from '#libs/contracts';
import { lifeOf, monthOf, priceBook, quantityOf, rateResource, type PriceHistory } from './rating.js';

/**
 * Random instance histories under random price histories, rated by the engine (events → meter →
 * rateResource) and by a reference written here straight from ARCHITECTURE.md's formulas, with its
 * own fractions; and every line the engine makes checked to add up.
 */
interface PlanPrice { hourly: string; monthly: string; stoppedHourly: string; stoppedMonthly: string }
const PRICES: PlanPrice[] = [
  { hourly: '0.0060', monthly: '4.00', stoppedHourly: '0.0010', stoppedMonthly: '0.70' },
  { hourly: '0.0241', monthly: '16.05', stoppedHourly: '0.0025', stoppedMonthly: '1.10' },
  { hourly: '0.1375', monthly: '91.99', stoppedHourly: '0.0125', stoppedMonthly: '5.00' },
  // Dear enough that one second more or less shows in the cents.
  { hourly: '37.1234', monthly: '19999.99', stoppedHourly: '3.5000', stoppedMonthly: '900.01' },
  // Ten decimals, and an hourly price whose thirds of an hour end nowhere.
  { hourly: '0.0450000001', monthly: '30.3333333333', stoppedHourly: '0.0150000003', stoppedMonthly: '10.1' },
];
const PLANS = ['a', 'b', 'c', 'd'];
const CURRENCIES = ['EUR', 'JPY', 'KWD'];
const MINOR: Record<string, number> = { EUR: 2, JPY: 0, KWD: 3 };

function random(seed: number) {
  return () => {
    seed = (seed * 1_103_515_245 + 12_345) % 2_147_483_648;
    return seed / 2_147_483_648;
  };
}

interface Step {
  type: string;
  at: number;
  plan?: string;
}

interface Change { since: number; plan: string; price: PlanPrice }
interface OptionsChange { since: number; granularity: PriceGranularity; stopped: StoppedBilling }
interface List { prices: Change[]; options: OptionsChange[] }

const DAY = 86_400;

function history(next: () => number): { steps: Step[]; cycle: BillingCycle } {
  const pick = <T>(items: T[]) => items[Math.floor(next() * items.length)];
  const gap = () => pick([1, 20, 59, 61, 600, 1200, 3599, 3601, DAY, DAY * 9 + 7, DAY * 31]) + Math.floor(next() * 100);
  let at = Date.UTC(2026, 0, 1) / 1000 + Math.floor(next() * DAY * 300);
  const steps: Step[] = [{ type: 'InstanceRequested', at, plan: pick(PLANS) }];
  // Sometimes it never runs; sometimes it is resized or stopped before its first start.
  if (next() < 0.15) steps.push({ type: 'InstanceResized', at: (at += gap()), plan: pick(PLANS) });
  if (next() < 0.1) return { steps: [...steps, { type: 'InstanceDeleted', at: at + gap() }], cycle: pick(['HOURLY', 'MONTHLY'] as const) };
  steps.push({ type: 'InstanceStarted', at: (at += pick([0, 2, 40])) });
  let running = true;
  for (let i = Math.floor(next() * 8); i > 0; i--) {
    at += gap();
    if (next() < 0.3) steps.push({ type: 'InstanceResized', at, plan: pick(PLANS) });
    else steps.push({ type: running ? 'InstanceStopped' : 'InstanceStarted', at }), (running = !running);
  }
  if (next() < 0.7) steps.push({ type: 'InstanceDeleted', at: at + gap() });
  return { steps, cycle: pick(['HOURLY', 'MONTHLY'] as const) };
}

/** The platform's list (every plan priced from the start, then changes) and maybe a reseller's (some plans, from later). */
function priceLists(next: () => number, from: number, to: number): List[] {
  const pick = <T>(items: T[]) => items[Math.floor(next() * items.length)];
  const when = () => from + Math.floor(next() * (to - from + 40 * DAY)) - 5 * DAY;
  const options = (start: number): OptionsChange[] => [
    { since: start, granularity: 'PER_SECOND', stopped: 'FULL' },
    ...Array.from({ length: Math.floor(next() * 3) }, () => ({ since: when(), granularity: pick(['PER_SECOND', 'PER_HOUR'] as const), stopped: pick(['FULL', 'STOPPED_PRICE'] as const) })),
  ];
  const start = from - 400 * DAY;
  const platform: List = {
    prices: [...PLANS.map((plan) => ({ since: start, plan, price: pick(PRICES) })), ...Array.from({ length: Math.floor(next() * 5) }, () => ({ since: when(), plan: pick(PLANS), price: pick(PRICES) }))],
    options: options(start),
  };
  if (next() < 0.5) return [platform];
  const resellerStart = when();
  const reseller: List = {
    prices: Array.from({ length: 1 + Math.floor(next() * 4) }, (_, i) => ({ since: i === 0 ? resellerStart : Math.max(resellerStart, when()), plan: pick(PLANS), price: pick(PRICES) })),
    options: options(resellerStart),
  };
  return [reseller, platform];
}

/** An exact fraction: a decimal string with up to ten decimals, in units of 10^-10. */
const units = (text: string) => {
  const [whole, fraction = ''] = text.split('.');
  return BigInt(whole) * 10n ** 10n + BigInt(fraction.padEnd(10, '0'));
};

function halfEven(numerator: bigint, denominator: bigint): bigint {
  const sign = numerator < 0n ? -1n : 1n;
  const n = numerator * sign;
  const q = n / denominator;
  const twice = (n % denominator) * 2n;
  return sign * (twice > denominator || (twice === denominator && q % 2n === 1n) ? q + 1n : q);
}

/** The reference: each second's price straight from the lists, a line per plan and price each rounded once, then the cap. */
function reference(steps: Step[], cycle: BillingCycle, asOf: number, lists: List[], currency: string, month: { start: number; end: number }): { total: bigint; lines: Map<string, bigint> } {
  // Intervals of the instance's billed life: from its first start to its deletion.
  const intervals: { from: number; to: number; plan: string; stopped: boolean }[] = [];
  let plan = steps[0].plan!;
  let stopped = false;
  let from: number | null = null;
  let end = asOf;
  for (const step of steps.slice(1)) {
    if (from !== null) intervals.push({ from, to: step.at, plan, stopped });
    if (step.type === 'InstanceStarted') from ??= step.at;
    if (from !== null) from = step.at;
    if (step.type === 'InstanceResized') plan = step.plan!;
    if (step.type === 'InstanceStopped') stopped = true;
    if (step.type === 'InstanceStarted') stopped = false;
    if (step.type === 'InstanceDeleted') {
      end = step.at;
      from = null;
      break;
    }
  }
  if (from !== null) intervals.push({ from, to: asOf, plan, stopped });
  const lines = new Map<string, bigint>();
  if (intervals.length === 0) return { total: 0n, lines };

  const listStart = (list: List) => Math.min(...list.prices.map((c) => c.since), ...list.options.map((c) => c.since));
  const lastAt = <T extends { since: number }>(changes: T[], second: number) => changes.filter((c) => c.since <= second).sort((a, b) => a.since - b.since).at(-1);
  const priceAt = (p: string, second: number): PlanPrice => {
    for (const list of lists) {
      const change = lastAt(list.prices.filter((c) => c.plan === p), second);
      if (change) return change.price;
    }
    return lists.flatMap((l) => l.prices.filter((c) => c.plan === p)).sort((a, b) => a.since - b.since)[0].price;
  };
  const optionsAt = (second: number) => {
    const list = lists.find((l) => listStart(l) <= second) ?? [...lists].sort((a, b) => listStart(a) - listStart(b))[0];
    return lastAt(list.options, second) ?? list.options[0];
  };
  const unitPriceAt = (p: string, s: boolean, second: number) => {
    const price = priceAt(p, second);
    const atStopped = s && optionsAt(second).stopped === 'STOPPED_PRICE';
    return units(cycle === 'MONTHLY' ? (atStopped ? price.stoppedMonthly : price.monthly) : atStopped ? price.stoppedHourly : price.hourly);
  };

  const changes = [...new Set(lists.flatMap((l) => [...l.prices.map((c) => c.since), ...l.options.map((c) => c.since), listStart(l)]))];
  const seconds = new Map<string, bigint>();
  let cap = 0n;
  const add = (p: string, unitPrice: bigint, n: number) => {
    const key = `${p}|${unitPrice}`;
    seconds.set(key, (seconds.get(key) ?? 0n) + BigInt(n));
  };
  let billedInMonth = false;
  for (const interval of intervals) {
    const a = Math.max(interval.from, month.start);
    const b = Math.min(interval.to, month.end);
    if (b <= a) continue;
    const cuts = [a, ...changes.filter((c) => c > a && c < b).sort((x, y) => x - y), b];
    for (let i = 0; i + 1 < cuts.length; i++) {
      add(interval.plan, unitPriceAt(interval.plan, interval.stopped, cuts[i]), cuts[i + 1] - cuts[i]);
      const monthly = units(priceAt(interval.plan, cuts[i]).monthly);
      if (monthly > cap) cap = monthly;
      billedInMonth = true;
    }
  }
  const last = intervals.filter((i) => i.from < month.end && i.to > month.start).at(-1) ?? intervals.filter((i) => i.from <= end).at(-1)!;
  if (cycle === 'HOURLY' && end > month.start && end <= month.end) {
    const life = intervals.reduce((sum, i) => sum + (i.to - i.from), 0);
    const lastSecond = Math.max(last.from, end - 1);
    const billedLife = optionsAt(lastSecond).granularity === 'PER_HOUR' ? Math.max(1, Math.ceil(life / 3600)) * 3600 : Math.max(60, life);
    if (billedLife > life) {
      add(last.plan, unitPriceAt(last.plan, last.stopped, lastSecond), billedLife - life);
      const monthly = units(priceAt(last.plan, lastSecond).monthly);
      if (monthly > cap) cap = monthly;
      billedInMonth = true;
    }
  }
  if (!billedInMonth) return { total: 0n, lines };
  const per = BigInt(cycle === 'MONTHLY' ? month.end - month.start : 3600);
  const minor = 10n ** BigInt(MINOR[currency]);
  let total = 0n;
  for (const [key, n] of seconds) {
    const amount = halfEven(n * BigInt(key.split('|')[1]) * minor, per * 10n ** 10n);
    lines.set(key, amount);
    total += amount;
  }
  const capMinor = halfEven(cap * minor, 10n ** 10n);
  if (cycle === 'HOURLY' && total > capMinor) total = capMinor;
  return { total, lines };
}

/** quantity × unitPrice, both decimal text, rounded half-even to the minor unit: what the customer can check. */
function productOf(quantity: string, unitPrice: string, currency: string): bigint {
  const fraction = (text: string) => {
    const negative = text.startsWith('-');
    const [whole, decimals = ''] = text.replace('-', '').split('.');
    return { n: (negative ? -1n : 1n) * BigInt(whole + decimals), d: 10n ** BigInt(decimals.length) };
  };
  const q = fraction(quantity);
  const p = fraction(unitPrice);
  return halfEven(q.n * p.n * 10n ** BigInt(MINOR[currency]), q.d * p.d);
}

const toHistory = (list: List): PriceHistory => ({
  prices: list.prices.map((c) => ({
    sku: c.plan, since: c.since,
    price: { hourly: parseDecimal(c.price.hourly, 'h'), monthly: parseDecimal(c.price.monthly, 'm'), stoppedHourly: parseDecimal(c.price.stoppedHourly, 'sh'), stoppedMonthly: parseDecimal(c.price.stoppedMonthly, 'sm') },
  })),
  options: list.options.map((o) => ({ since: o.since, granularity: o.granularity, stoppedBilling: o.stopped })),
});

const scaledText = (value: bigint) => {
  const text = (value < 0n ? -value : value).toString().padStart(11, '0');
  return `${value < 0n ? '-' : ''}${text.slice(0, -10)}.${text.slice(-10)}`;
};

describe('rating against a reference written from the formulas', () => {
  const seed = Number(process.env.RATING_SEED ?? 20_261_201);

  it(`agrees to the minor unit on 600 random histories under random price histories, and every line adds up (seed ${seed})`, () => {
    const next = random(seed);
    let compared = 0;
    let lines = 0;
    let split = 0;
    for (let n = 0; n < 600; n++) {
      const { steps, cycle } = history(next);
      const currency = CURRENCIES[Math.floor(next() * CURRENCIES.length)];
      const asOf = steps.at(-1)!.at + DAY * 40;
      const lists = priceLists(next, steps[0].at, steps.at(-1)!.at);
      const book = priceBook(lists.map(toHistory), currency);
      const events: MeterEvent[] = steps.map((step, i) => ({
        eventId: `e${i}`,
        type: step.type,
        version: i + 1,
        occurredAt: new Date(step.at * 1000).toISOString(),
        data: step.type === 'InstanceRequested'
          ? { instanceId: 'i', accountId: 'a', name: 'n', kind: 'VM', imageId: 'img', planId: step.plan, regionId: 'r', billingCycle: cycle }
          : step.type === 'InstanceResized' ? { fromPlanId: '?', toPlanId: step.plan } : {},
      }));
      // Delivered shuffled: the meter orders by version.
      const metered = meterInstance('i', [...events].sort(() => next() - 0.5))!;
      const life = lifeOf(metered.segments, asOf);
      for (let month = monthOf(steps[0].at); month.start < asOf; month = monthOf(month.end)) {
        const overlapping = metered.segments.filter((s) => s.startedAt < month.end && (s.endedAt === null || s.endedAt > month.start));
        const expected = reference(steps, cycle, asOf, lists, currency, month);
        const rated = overlapping.length === 0 ? { amountMinor: 0n, lines: [] } : rateResource({ info: metered.info, segments: overlapping, life }, month, asOf, book, currency);
        const where = `history ${n} (${cycle}, ${currency}) month ${new Date(month.start * 1000).toISOString()}`;
        if (rated.amountMinor !== expected.total) {
          throw new Error(`${where}: engine ${formatMinor(rated.amountMinor, currency)}, reference ${formatMinor(expected.total, currency)}\n${JSON.stringify({ steps, lists })}`);
        }
        const usageLines = rated.lines.filter((l) => l.kind === 'usage');
        expect(new Map(usageLines.map((l) => [`${l.sku}|${l.unitPrice}`, l.amountMinor]))).toEqual(expected.lines);
        for (const line of rated.lines) {
          if (productOf(line.quantity, scaledText(line.unitPrice), currency) !== line.amountMinor) {
            throw new Error(`${where}: ${line.quantity} × ${scaledText(line.unitPrice)} does not round to ${formatMinor(line.amountMinor, currency)}`);
          }
          lines++;
        }
        if (new Set(usageLines.map((l) => l.sku)).size < usageLines.length) split++;
        if (overlapping.length > 0) compared++;
      }
    }
    expect(compared).toBeGreaterThan(600);
    expect(lines).toBeGreaterThan(compared);
    expect(split).toBeGreaterThan(20); // a plan at several prices in a month, often enough to count
  });

  it('shows, for any usage and unit price, a quantity within one last digit of the exact one whose product rounds to the amount', () => {
    const next = random(seed + 1);
    let sixDecimals = 0;
    for (let n = 0; n < 20_000; n++) {
      const currency = CURRENCIES[Math.floor(next() * CURRENCIES.length)];
      const per = next() < 0.5 ? 3600n : BigInt([28, 29, 30, 31][Math.floor(next() * 4)] * DAY);
      const seconds = BigInt(Math.floor(next() * 3_000_000));
      // From a ten-billionth to a billion, with up to ten decimals.
      const unitPrice = BigInt(Math.floor(next() * 10 ** (1 + Math.floor(next() * 9)))) * 10n ** BigInt(Math.floor(next() * 10)) + BigInt(Math.floor(next() * 10));
      const amount = halfEven(seconds * unitPrice * 10n ** BigInt(MINOR[currency]), per * 10n ** 10n);
      const quantity = quantityOf(seconds, per, unitPrice, amount, currency);
      expect([quantity, productOf(quantity, scaledText(unitPrice), currency)]).toEqual([quantity, amount]);
      const places = quantity.split('.')[1]?.length ?? 0;
      const shown = BigInt(quantity.replace('.', ''));
      // |shown / 10^places − seconds / per| < 1 / 10^places
      expect((shown * per - seconds * 10n ** BigInt(places)) ** 2n < per ** 2n).toBe(true);
      // Six decimals always do while the unit price is under a million minor units (10,000.00 EUR) an hour or a month.
      if (unitPrice * 10n ** BigInt(MINOR[currency]) < 10n ** 16n) sixDecimals++;
      expect(places).toBe(unitPrice * 10n ** BigInt(MINOR[currency]) < 10n ** 16n ? 6 : places);
      expect(places).toBeGreaterThanOrEqual(6);
    }
    expect(sixDecimals).toBeGreaterThan(10_000);
  });
});
