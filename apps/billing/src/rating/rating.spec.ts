import type { BillingCycle } from '#libs/contracts';
import type { SegmentState, UsageSegment } from '../metering/meter.js';
import { formatMinor, formatScaled, parseDecimal } from '../money/money.js';
import { lifeOf, monthOf, priceBook, quantityOf, rateResource, taxOf, type ListOptions, type Price, type PriceBook, type PriceHistory } from './rating.js';

const at = (iso: string) => Date.parse(iso) / 1000;
const price = (hourly: string, monthly: string, stopped?: [string, string]): Price => ({
  hourly: parseDecimal(hourly, 'hourly'),
  monthly: parseDecimal(monthly, 'monthly'),
  stoppedHourly: stopped ? parseDecimal(stopped[0], 'stoppedHourly') : null,
  stoppedMonthly: stopped ? parseDecimal(stopped[1], 'stoppedMonthly') : null,
});
const PRICES: Record<string, Price> = {
  small: price('0.0060', '4.00', ['0.0010', '0.50']),
  large: price('0.0240', '16.00'),
};
const SINCE_EVER = at('2020-01-01T00:00:00Z');
/** A list with `prices` in force since 2020, and later changes (sku, from when, price). */
const history = (prices: Record<string, Price>, changes: [string, string, Price][] = [], options: [string, ListOptions][] = []): PriceHistory => ({
  prices: [...Object.entries(prices).map(([sku, p]) => ({ sku, since: SINCE_EVER, price: p })), ...changes.map(([sku, since, p]) => ({ sku, since: at(since), price: p }))],
  options: [{ since: SINCE_EVER, granularity: 'PER_SECOND', stoppedBilling: 'FULL' }, ...options.map(([since, o]) => ({ since: at(since), ...o }))],
});
const list = (granularity: ListOptions['granularity'] = 'PER_SECOND', stoppedBilling: ListOptions['stoppedBilling'] = 'FULL'): PriceBook =>
  priceBook([{ ...history(PRICES), options: [{ since: SINCE_EVER, granularity, stoppedBilling }] }], 'EUR');

let ids = 0;
function segment(sku: string, from: string, to: string | null, state: SegmentState = 'RUNNING'): UsageSegment {
  const id = `s${++ids}`;
  return { id, resourceId: 'r1', sku, state, startedAt: at(from), endedAt: to ? at(to) : null, openedBy: id, closedBy: to ? `c${id}` : null };
}

function rate(segments: UsageSegment[], month: string, options: { cycle?: BillingCycle; asOf?: string; book?: PriceBook; currency?: string } = {}) {
  const currency = options.currency ?? 'EUR';
  const period = monthOf(at(month));
  const asOf = at(options.asOf ?? '2027-01-01T00:00:00Z'); // rated after the fact unless a test says otherwise
  const info = { resourceId: 'r1', type: 'INSTANCE' as const, accountId: 'a1', name: 'web', billingCycle: options.cycle ?? 'HOURLY' };
  const inPeriod = segments.filter((s) => s.startedAt < period.end && (s.endedAt === null || s.endedAt > period.start));
  const rated = rateResource({ info, segments: inPeriod, life: lifeOf(segments, asOf) }, period, asOf, options.book ?? list(), currency);
  const lines = rated.lines.map((l) => ({ ...l, unitPrice: formatScaled(l.unitPrice), amount: formatMinor(l.amountMinor, currency) }));
  return { ...rated, lines, amount: formatMinor(rated.amountMinor, currency) };
}

describe('rating', () => {
  it('charges a whole month of HOURLY use exactly the monthly cap, the cap a line of its own', () => {
    // 31 days × 24 h × 0.006 = 4.464, more than the 4.00 a month costs: a line of 4.46, and one of -0.46.
    const rated = rate([segment('small', '2026-01-01T00:00:00Z', null)], '2026-01-15T00:00:00Z');
    expect(rated.amount).toBe('4.00');
    expect(rated.lines.map((l) => [l.kind, l.sku, l.quantity, l.unit, l.unitPrice, l.amount])).toEqual([
      ['usage', 'small', '744.000000', 'hour', '0.006', '4.46'],
      ['cap', 'small', '1', 'cap', '-0.46', '-0.46'],
    ]);
  });

  it('charges 15 minutes as 15 minutes per second and as one hour per started hour', () => {
    const quarter = [segment('small', '2026-03-10T10:00:00Z', '2026-03-10T10:15:00Z')];
    expect(rate(quarter, '2026-03-01T00:00:00Z').lines).toEqual([expect.objectContaining({ amount: '0.00', quantity: '0.250000' })]); // 0.0015 → 0.00 half-even
    expect(rate([segment('large', '2026-03-10T10:00:00Z', '2026-03-10T10:15:00Z')], '2026-03-01T00:00:00Z').lines).toEqual([
      expect.objectContaining({ amount: '0.01', quantity: '0.250000' }),
    ]);
    expect(rate([segment('large', '2026-03-10T10:00:00Z', '2026-03-10T10:15:00Z')], '2026-03-01T00:00:00Z', { book: list('PER_HOUR') }).lines).toEqual([
      expect.objectContaining({ amount: '0.02', quantity: '1.000000', paddedSeconds: 2700 }),
    ]);
  });

  it('charges 30 seconds the 60-second minimum', () => {
    // 60 s of 36.00/h is 0.60; 30 s would be 0.30.
    const dear = priceBook([history({ x: price('36.00', '10000.00') })], 'EUR');
    expect(rate([segment('x', '2026-03-10T10:00:00Z', '2026-03-10T10:00:30Z')], '2026-03-01T00:00:00Z', { book: dear }).lines).toEqual([
      expect.objectContaining({ amount: '0.60', paddedSeconds: 30, quantity: '0.016667' }),
    ]);
  });

  it('gives a resized resource a line per plan, each at its own price, and caps it at the larger plan\'s monthly price', () => {
    const resized = [segment('small', '2026-04-01T00:00:00Z', '2026-04-15T00:00:00Z'), segment('large', '2026-04-15T00:00:00Z', null)];
    // 14 d × 24 × 0.006 + 16 d × 24 × 0.024 = 2.016 + 9.216: under the 16.00 cap.
    const rated = rate(resized, '2026-04-20T00:00:00Z');
    expect(rated.lines.map((l) => [l.sku, l.quantity, l.unitPrice, l.amount])).toEqual([
      ['small', '336.000000', '0.006', '2.02'],
      ['large', '384.000000', '0.024', '9.22'],
    ]);
    expect(rated.lines.map((l) => l.usage.map((u) => [u.segment.sku, u.seconds]))).toEqual([[['small', 336 * 3600]], [['large', 384 * 3600]]]);
    expect(rated.amount).toBe('11.24');
    const early = rate([segment('small', '2026-04-01T00:00:00Z', '2026-04-02T00:00:00Z'), segment('large', '2026-04-02T00:00:00Z', null)], '2026-04-20T00:00:00Z');
    expect(early.amount).toBe('16.00');
    expect(early.lines.at(-1)).toMatchObject({ kind: 'cap', sku: 'large', capMonthly: PRICES.large.monthly, amount: '-0.84' }); // 0.14 + 16.70 - 16.00
  });

  it('rates each second at the price in force then: a raise does not re-rate what was used before it', () => {
    const raised = priceBook([history(PRICES, [['large', '2026-05-11T00:00:00Z', price('0.0480', '32.00')]])], 'EUR');
    const life = [segment('large', '2026-05-01T00:00:00Z', '2026-05-21T00:00:00Z')];
    // 10 days at 0.024 and 10 at 0.048: 5.76 + 11.52, a line per price.
    const rated = rate(life, '2026-05-01T00:00:00Z', { book: raised });
    expect(rated.lines.map((l) => [l.sku, l.quantity, l.unitPrice, l.amount])).toEqual([
      ['large', '240.000000', '0.024', '5.76'],
      ['large', '240.000000', '0.048', '11.52'],
    ]);
    expect(rated.lines.map((l) => l.usage.map((u) => u.seconds))).toEqual([[864_000], [864_000]]);
    // Rated before the raise, the first ten days cost what they cost after it.
    expect(rate(life, '2026-05-01T00:00:00Z', { book: raised, asOf: '2026-05-11T00:00:00Z' }).lines.map((l) => l.amount)).toEqual(['5.76']);
    // A month before the raise is not touched by it.
    expect(rate([segment('large', '2026-04-01T00:00:00Z', '2026-04-11T00:00:00Z')], '2026-04-01T00:00:00Z', { book: raised }).amount).toBe('5.76');
  });

  it('caps an HOURLY month at the largest monthly price in force while it ran', () => {
    // A cut from 16.00 to 8.00 on the 16th: 15 days at 0.024 (8.64) and 15 at 0.012 (4.32) is 12.96, under the 16.00 in force before the cut.
    const cut = priceBook([history(PRICES, [['large', '2026-06-16T00:00:00Z', price('0.0120', '8.00')]])], 'EUR');
    expect(rate([segment('large', '2026-06-01T00:00:00Z', null)], '2026-06-01T00:00:00Z', { book: cut }).amount).toBe('12.96');
    // Only after the cut: capped at 8.00 (15 days at 0.012 is 4.32 — under; 30 days would be 8.64 — over).
    const after = rate([segment('large', '2026-06-16T00:00:00Z', null)], '2026-07-01T00:00:00Z', { book: cut });
    expect(after.lines.map((l) => [l.kind, l.amount])).toEqual([['usage', '8.93'], ['cap', '-0.93']]);
  });

  it('falls back, second by second, to the next list while the first has no price for a plan, and rates usage before any price at the first one', () => {
    const platform = history(PRICES);
    const reseller: PriceHistory = {
      prices: [{ sku: 'small', since: at('2026-08-11T00:00:00Z'), price: price('0.0100', '5.00') }],
      options: [{ since: at('2026-08-11T00:00:00Z'), granularity: 'PER_SECOND', stoppedBilling: 'FULL' }],
    };
    const book = priceBook([reseller, platform], 'EUR');
    // Ten days at the platform's 0.006 before the reseller set its price, ten at its 0.01.
    expect(rate([segment('small', '2026-08-01T00:00:00Z', '2026-08-21T00:00:00Z')], '2026-08-01T00:00:00Z', { book }).lines.map((l) => [l.unitPrice, l.amount])).toEqual([
      ['0.006', '1.44'], ['0.01', '2.40'],
    ]);
    const late: PriceHistory = { prices: [{ sku: 'new', since: at('2026-08-11T00:00:00Z'), price: price('0.0100', '5.00') }], options: [] };
    expect(rate([segment('new', '2026-08-01T00:00:00Z', '2026-08-21T00:00:00Z')], '2026-08-01T00:00:00Z', { book: priceBook([late], 'EUR') }).amount).toBe('4.80');
    expect(() => rate([segment('none', '2026-08-01T00:00:00Z', null)], '2026-08-01T00:00:00Z', { book })).toThrow(/no price for none in EUR/);
  });

  it('bills stopped time at the stopped price only where and while the list says so', () => {
    const life = [segment('small', '2026-06-01T00:00:00Z', '2026-06-02T00:00:00Z'), segment('small', '2026-06-02T00:00:00Z', '2026-06-12T00:00:00Z', 'STOPPED')];
    // 24 h + 240 h at 0.006 = 1.584; with the stopped price 24 × 0.006 (0.14) + 240 × 0.001 (0.24), a line each.
    expect(rate(life, '2026-06-05T00:00:00Z').amount).toBe('1.58');
    const stopped = rate(life, '2026-06-05T00:00:00Z', { book: list('PER_SECOND', 'STOPPED_PRICE') });
    expect(stopped.lines.map((l) => [l.unitPrice, l.amount, l.stoppedPrice])).toEqual([['0.006', '0.14', false], ['0.001', '0.24', true]]);
    // Switched to stopped prices on the 7th: the five stopped days before it stay at the full price.
    const switched = priceBook([history(PRICES, [], [['2026-06-07T00:00:00Z', { granularity: 'PER_SECOND', stoppedBilling: 'STOPPED_PRICE' }]])], 'EUR');
    expect(rate(life, '2026-06-05T00:00:00Z', { book: switched }).lines.map((l) => [l.quantity, l.unitPrice, l.amount])).toEqual([
      ['144.000000', '0.006', '0.86'], ['120.000000', '0.001', '0.12'],
    ]);
  });

  it('prorates a MONTHLY first partial month to the second, and charges whole months whole', () => {
    const life = [segment('large', '2026-02-14T12:00:00Z', null)];
    // February 2026 has 28 days: 14.5 days of 16.00 = 8.2857142… → 8.29, quantity 0.517857… shown so that it gives 8.29.
    expect(rate(life, '2026-02-01T00:00:00Z', { cycle: 'MONTHLY' }).lines).toEqual([expect.objectContaining({ amount: '8.29', unit: 'month', quantity: '0.517857' })]);
    expect(rate(life, '2026-03-01T00:00:00Z', { cycle: 'MONTHLY' }).lines).toEqual([expect.objectContaining({ amount: '16.00', quantity: '1.000000' })]);
  });

  it('cuts months at UTC midnight whatever the time zone of the events', () => {
    // 23:00 on 31 January at UTC−2 is 01:00 on 1 February in UTC: the hour is February's.
    const life = segment('large', '2026-01-31T23:00:00-02:00', '2026-02-01T03:00:00+01:00');
    expect(monthOf(life.startedAt)).toEqual(monthOf(at('2026-02-01T00:00:00Z')));
    expect(rate([life], '2026-02-10T00:00:00Z').lines[0].usage[0].seconds).toBe(3600);
    const across = [segment('large', '2026-01-31T23:30:00Z', '2026-02-01T00:30:00Z')];
    expect(rate(across, '2026-01-10T00:00:00Z').lines[0].usage[0].seconds).toBe(1800);
    expect(rate(across, '2026-02-10T00:00:00Z').lines[0].usage[0].seconds).toBe(1800);
    // Per started hour the one hour of life is billed once, not once per month.
    expect(rate(across, '2026-01-10T00:00:00Z', { book: list('PER_HOUR') }).lines[0].paddedSeconds).toBe(0);
    expect(rate(across, '2026-02-10T00:00:00Z', { book: list('PER_HOUR') }).lines[0].paddedSeconds).toBe(0);
  });

  it('rounds each line once, half to even, to the currency\'s minor unit', () => {
    // 45 min of 0.0060/h is 0.0045 EUR → 0.00; 75 min is 0.0075 → 0.01; in JPY 90 min of 3/h is 4.5 → 4.
    expect(rate([segment('small', '2026-05-01T00:00:00Z', '2026-05-01T00:45:00Z')], '2026-05-02T00:00:00Z').amount).toBe('0.00');
    expect(rate([segment('small', '2026-05-01T00:00:00Z', '2026-05-01T01:15:00Z')], '2026-05-02T00:00:00Z').amount).toBe('0.01');
    const yen = priceBook([history({ x: price('3', '2000') })], 'JPY');
    expect(rate([segment('x', '2026-05-01T00:00:00Z', '2026-05-01T01:30:00Z')], '2026-05-02T00:00:00Z', { book: yen, currency: 'JPY' }).amount).toBe('4');
  });

  it('shows a quantity whose product with the unit price rounds to the amount, even where the hours have no end', () => {
    // 20 minutes at 0.045/h is exactly 0.015, which rounds to 0.02; 0.333333 h × 0.045 = 0.0149999… would round to 0.01.
    expect(quantityOf(1200n, 3600n, parseDecimal('0.045', 'p'), 2n, 'EUR')).toBe('0.333334');
    expect(quantityOf(1200n, 3600n, parseDecimal('0.015', 'p'), 0n, 'EUR')).toBe('0.333333');
    expect(quantityOf(7200n, 3600n, parseDecimal('0.015', 'p'), 3n, 'EUR')).toBe('2.000000');
    // A unit price of a million an hour needs more than six decimals of an hour for a cent.
    const dear = parseDecimal('1000000', 'p');
    expect(quantityOf(1n, 3600n, dear, 27_778n, 'EUR')).toBe('0.00027778');
  });

  it('rates usage to date for a live resource', () => {
    const live = [segment('large', '2026-07-01T00:00:00Z', null)];
    expect(rate(live, '2026-07-01T00:00:00Z', { asOf: '2026-07-01T10:00:00Z' }).lines).toEqual([expect.objectContaining({ amount: '0.24', quantity: '10.000000' })]);
  });

  it('taxes the subtotal once, half to even', () => {
    expect(taxOf(1050n, parseDecimal('0.19', 'taxRate'))).toBe(200n); // 199.5 → 200
    expect(taxOf(1250n, parseDecimal('0.19', 'taxRate'))).toBe(238n); // 237.5 → 238
    expect(taxOf(1150n, parseDecimal('0.19', 'taxRate'))).toBe(218n); // 218.5 → 218
    expect(taxOf(999n, parseDecimal('0', 'taxRate'))).toBe(0n);
  });
});
