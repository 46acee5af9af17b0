import type { BillingCycle } from '#libs/contracts';
import type { SegmentState, UsageSegment } from '../metering/meter.js';
import { formatMinor, parseDecimal } from '../money/money.js';
import { lifeOf, monthOf, rateResource, taxOf, type Granularity, type Price, type PriceList, type StoppedBilling } from './rating.js';

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
const list = (granularity: Granularity = 'PER_SECOND', stoppedBilling: StoppedBilling = 'FULL'): PriceList => ({
  granularity,
  stoppedBilling,
  priceOf: (sku) => PRICES[sku],
});

let ids = 0;
function segment(sku: string, from: string, to: string | null, state: SegmentState = 'RUNNING'): UsageSegment {
  const id = `s${++ids}`;
  return { id, resourceId: 'r1', sku, state, startedAt: at(from), endedAt: to ? at(to) : null, openedBy: id, closedBy: to ? `c${id}` : null };
}

function rate(segments: UsageSegment[], month: string, options: { cycle?: BillingCycle; asOf?: string; list?: PriceList; currency?: string } = {}) {
  const period = monthOf(at(month));
  const asOf = at(options.asOf ?? '2027-01-01T00:00:00Z'); // rated after the fact unless a test says otherwise
  const info = { resourceId: 'r1', type: 'INSTANCE' as const, accountId: 'a1', name: 'web', billingCycle: options.cycle ?? 'HOURLY' };
  const inPeriod = segments.filter((s) => s.startedAt < period.end && (s.endedAt === null || s.endedAt > period.start));
  const line = rateResource({ info, segments: inPeriod, life: lifeOf(segments, asOf) }, period, asOf, options.list ?? list(), options.currency ?? 'EUR');
  return { ...line, amount: formatMinor(line.amountMinor, options.currency ?? 'EUR') };
}

describe('rating', () => {
  it('charges a whole month of HOURLY use exactly the monthly cap', () => {
    // 31 days × 24 h × 0.006 = 4.464, more than the 4.00 a month costs.
    const line = rate([segment('small', '2026-01-01T00:00:00Z', null)], '2026-01-15T00:00:00Z');
    expect(line).toMatchObject({ amount: '4.00', capped: true, quantity: '1.000000', unit: 'month' });
  });

  it('charges 15 minutes as 15 minutes per second and as one hour per started hour', () => {
    const quarter = [segment('small', '2026-03-10T10:00:00Z', '2026-03-10T10:15:00Z')];
    expect(rate(quarter, '2026-03-01T00:00:00Z')).toMatchObject({ amount: '0.00', quantity: '0.250000' }); // 0.0015 → 0.00 half-even
    expect(rate([segment('large', '2026-03-10T10:00:00Z', '2026-03-10T10:15:00Z')], '2026-03-01T00:00:00Z')).toMatchObject({ amount: '0.01', quantity: '0.250000' });
    expect(rate([segment('large', '2026-03-10T10:00:00Z', '2026-03-10T10:15:00Z')], '2026-03-01T00:00:00Z', { list: list('PER_HOUR') })).toMatchObject({
      amount: '0.02', quantity: '1.000000', paddedSeconds: 2700,
    });
  });

  it('charges 30 seconds the 60-second minimum', () => {
    // 60 s of 36.00/h is 0.60; 30 s would be 0.30.
    const list60 = { ...list(), priceOf: () => price('36.00', '10000.00') };
    expect(rate([segment('x', '2026-03-10T10:00:00Z', '2026-03-10T10:00:30Z')], '2026-03-01T00:00:00Z', { list: list60 })).toMatchObject({
      amount: '0.60', paddedSeconds: 30,
    });
  });

  it('caps a month with a mid-month resize at the larger plan\'s monthly price', () => {
    const resized = [segment('small', '2026-04-01T00:00:00Z', '2026-04-15T00:00:00Z'), segment('large', '2026-04-15T00:00:00Z', null)];
    // 14 d × 24 × 0.006 + 16 d × 24 × 0.024 = 2.016 + 9.216 = 11.232: under the 16.00 cap.
    expect(rate(resized, '2026-04-20T00:00:00Z')).toMatchObject({ amount: '11.23', capped: false, sku: 'large' });
    const early = [segment('small', '2026-04-01T00:00:00Z', '2026-04-02T00:00:00Z'), segment('large', '2026-04-02T00:00:00Z', null)];
    expect(rate(early, '2026-04-20T00:00:00Z')).toMatchObject({ amount: '16.00', capped: true, unitPrice: PRICES.large.monthly });
  });

  it('prorates a MONTHLY first partial month to the second, and charges whole months whole', () => {
    const life = [segment('large', '2026-02-14T12:00:00Z', null)];
    // February 2026 has 28 days: 14.5 days of 16.00 = 8.2857142… → 8.29.
    expect(rate(life, '2026-02-01T00:00:00Z', { cycle: 'MONTHLY' })).toMatchObject({ amount: '8.29', unit: 'month', quantity: '0.517857' });
    expect(rate(life, '2026-03-01T00:00:00Z', { cycle: 'MONTHLY' })).toMatchObject({ amount: '16.00', quantity: '1.000000' });
  });

  it('cuts months at UTC midnight whatever the time zone of the events', () => {
    // 23:00 on 31 January at UTC−2 is 01:00 on 1 February in UTC: the hour is February's.
    const life = segment('large', '2026-01-31T23:00:00-02:00', '2026-02-01T03:00:00+01:00');
    expect(monthOf(life.startedAt)).toEqual(monthOf(at('2026-02-01T00:00:00Z')));
    expect(rate([life], '2026-02-10T00:00:00Z').usage[0].seconds).toBe(3600);
    const across = [segment('large', '2026-01-31T23:30:00Z', '2026-02-01T00:30:00Z')];
    expect(rate(across, '2026-01-10T00:00:00Z').usage[0].seconds).toBe(1800);
    expect(rate(across, '2026-02-10T00:00:00Z').usage[0].seconds).toBe(1800);
    // Per started hour the one hour of life is billed once, not once per month.
    const perHour = list('PER_HOUR');
    expect(rate(across, '2026-01-10T00:00:00Z', { list: perHour }).paddedSeconds).toBe(0);
    expect(rate(across, '2026-02-10T00:00:00Z', { list: perHour }).paddedSeconds).toBe(0);
  });

  it('rounds each line once, half to even, to the currency\'s minor unit', () => {
    // 45 min of 0.0060/h is 0.0045 EUR → 0.00; 75 min is 0.0075 → 0.01; in JPY 90 min of 3/h is 4.5 → 4.
    expect(rate([segment('small', '2026-05-01T00:00:00Z', '2026-05-01T00:45:00Z')], '2026-05-02T00:00:00Z').amount).toBe('0.00');
    expect(rate([segment('small', '2026-05-01T00:00:00Z', '2026-05-01T01:15:00Z')], '2026-05-02T00:00:00Z').amount).toBe('0.01');
    const yen = { ...list(), priceOf: () => price('3', '2000') };
    expect(rate([segment('x', '2026-05-01T00:00:00Z', '2026-05-01T01:30:00Z')], '2026-05-02T00:00:00Z', { list: yen, currency: 'JPY' }).amount).toBe('4');
  });

  it('bills stopped time at the stopped price only where the list says so', () => {
    const life = [segment('small', '2026-06-01T00:00:00Z', '2026-06-02T00:00:00Z'), segment('small', '2026-06-02T00:00:00Z', '2026-06-12T00:00:00Z', 'STOPPED')];
    // 24 h + 240 h at 0.006 = 1.584; with the stopped price 24 × 0.006 + 240 × 0.001 = 0.384.
    expect(rate(life, '2026-06-05T00:00:00Z').amount).toBe('1.58');
    expect(rate(life, '2026-06-05T00:00:00Z', { list: list('PER_SECOND', 'STOPPED_PRICE') }).amount).toBe('0.38');
  });

  it('rates usage to date for a live resource', () => {
    const live = [segment('large', '2026-07-01T00:00:00Z', null)];
    expect(rate(live, '2026-07-01T00:00:00Z', { asOf: '2026-07-01T10:00:00Z' })).toMatchObject({ amount: '0.24', quantity: '10.000000' });
  });

  it('taxes the subtotal once, half to even', () => {
    expect(taxOf(1050n, parseDecimal('0.19', 'taxRate'))).toBe(200n); // 199.5 → 200
    expect(taxOf(1250n, parseDecimal('0.19', 'taxRate'))).toBe(238n); // 237.5 → 238
    expect(taxOf(1150n, parseDecimal('0.19', 'taxRate'))).toBe(218n); // 218.5 → 218
    expect(taxOf(999n, parseDecimal('0', 'taxRate'))).toBe(0n);
  });
});
