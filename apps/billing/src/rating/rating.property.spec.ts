import type { BillingCycle } from '#libs/contracts';
import { meterInstance, type MeterEvent } from '../metering/meter.js';
import { formatMinor, parseDecimal } from '../money/money.js';
import { lifeOf, monthOf, rateResource, type Granularity, type PriceList, type StoppedBilling } from './rating.js';

/**
 * Random instance histories rated by the engine (events → meter → rateResource) and by a
 * reference written here straight from ARCHITECTURE.md's formulas, with its own fractions.
 */
const PLANS: Record<string, { hourly: string; monthly: string; stoppedHourly: string; stoppedMonthly: string }> = {
  a: { hourly: '0.0060', monthly: '4.00', stoppedHourly: '0.0010', stoppedMonthly: '0.70' },
  b: { hourly: '0.0241', monthly: '16.05', stoppedHourly: '0.0025', stoppedMonthly: '1.10' },
  c: { hourly: '0.1375', monthly: '91.99', stoppedHourly: '0.0125', stoppedMonthly: '5.00' },
  // Dear enough that one second more or less shows in the cents.
  d: { hourly: '37.1234', monthly: '19999.99', stoppedHourly: '3.5000', stoppedMonthly: '900.01' },
};

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

function history(next: () => number): { steps: Step[]; cycle: BillingCycle } {
  const pick = <T>(items: T[]) => items[Math.floor(next() * items.length)];
  const gap = () => pick([1, 20, 59, 61, 600, 3599, 3601, 86_400, 86_400 * 9 + 7, 86_400 * 31]) + Math.floor(next() * 100);
  let at = Date.UTC(2026, 0, 1) / 1000 + Math.floor(next() * 86_400 * 300);
  const steps: Step[] = [{ type: 'InstanceRequested', at, plan: pick(Object.keys(PLANS)) }, { type: 'InstanceScheduled', at: (at += pick([0, 2])) }];
  let running = true;
  for (let i = Math.floor(next() * 8); i > 0; i--) {
    at += gap();
    if (next() < 0.3) steps.push({ type: 'InstanceResized', at, plan: pick(Object.keys(PLANS)) });
    else steps.push({ type: running ? 'InstanceStopped' : 'InstanceStarted', at }), (running = !running);
  }
  if (next() < 0.7) steps.push({ type: 'InstanceDeleted', at: at + gap() });
  return { steps, cycle: pick(['HOURLY', 'MONTHLY'] as const) };
}

/** The reference: intervals straight from the steps, every amount a fraction until its one rounding. */
function reference(steps: Step[], cycle: BillingCycle, asOf: number, granularity: Granularity, stopped: StoppedBilling, month: { start: number; end: number }): bigint {
  const intervals: { from: number; to: number; plan: string; stopped: boolean }[] = [];
  let plan = steps[0].plan!;
  let isStopped = false;
  let from = steps[1].at;
  let end = asOf;
  for (const step of steps.slice(2)) {
    intervals.push({ from, to: step.at, plan, stopped: isStopped });
    from = step.at;
    if (step.type === 'InstanceResized') plan = step.plan!;
    if (step.type === 'InstanceStopped') isStopped = true;
    if (step.type === 'InstanceStarted') isStopped = false;
    if (step.type === 'InstanceDeleted') end = step.at;
  }
  if (steps.at(-1)!.type !== 'InstanceDeleted') intervals.push({ from, to: asOf, plan, stopped: isStopped });
  const price = (p: string, s: boolean, field: 'hourly' | 'monthly') => {
    const entry = PLANS[p];
    const text = s && stopped === 'STOPPED_PRICE' ? (field === 'hourly' ? entry.stoppedHourly : entry.stoppedMonthly) : entry[field];
    return BigInt(Math.round(Number(text) * 10_000)); // prices have at most four decimals: ten-thousandths are exact
  };
  const inMonth = intervals
    .map((i) => ({ ...i, seconds: Math.max(0, Math.min(i.to, month.end) - Math.max(i.from, month.start)) }))
    .filter((i) => i.to > month.start && i.from < month.end);
  if (inMonth.length === 0) return 0n;
  let numerator: bigint; // in ten-thousandths of a currency unit × denominator
  let denominator: bigint;
  if (cycle === 'MONTHLY') {
    denominator = BigInt(month.end - month.start);
    numerator = inMonth.reduce((sum, i) => sum + BigInt(i.seconds) * price(i.plan, i.stopped, 'monthly'), 0n);
  } else {
    denominator = 3600n;
    const life = intervals.reduce((sum, i) => sum + (i.to - i.from), 0);
    const billedLife = granularity === 'PER_HOUR' ? Math.max(1, Math.ceil(life / 3600)) * 3600 : Math.max(60, life);
    const extra = end > month.start && end <= month.end ? billedLife - life : 0;
    const last = inMonth.at(-1)!;
    numerator = inMonth.reduce((sum, i) => sum + BigInt(i.seconds) * price(i.plan, i.stopped, 'hourly'), BigInt(extra) * price(last.plan, last.stopped, 'hourly'));
    const cap = inMonth.reduce((max, i) => (price(i.plan, false, 'monthly') > max ? price(i.plan, false, 'monthly') : max), 0n);
    if (numerator > cap * 3600n) numerator = cap * 3600n;
  }
  // To cents, half to even: cents = numerator / (denominator × 100).
  const divisor = denominator * 100n;
  const cents = numerator / divisor;
  const twice = (numerator % divisor) * 2n;
  return twice > divisor || (twice === divisor && cents % 2n === 1n) ? cents + 1n : cents;
}

describe('rating against a reference written from the formulas', () => {
  const seed = Number(process.env.RATING_SEED ?? 20_261_122);

  it(`agrees to the cent on 400 random histories (seed ${seed})`, () => {
    const next = random(seed);
    let compared = 0;
    for (let n = 0; n < 400; n++) {
      const { steps, cycle } = history(next);
      const granularity: Granularity = next() < 0.5 ? 'PER_SECOND' : 'PER_HOUR';
      const stopped: StoppedBilling = next() < 0.5 ? 'FULL' : 'STOPPED_PRICE';
      const asOf = steps.at(-1)!.at + 86_400 * 40;
      const prices: PriceList = {
        granularity,
        stoppedBilling: stopped,
        priceOf: (sku) => {
          const p = PLANS[sku];
          return { hourly: parseDecimal(p.hourly, 'h'), monthly: parseDecimal(p.monthly, 'm'), stoppedHourly: parseDecimal(p.stoppedHourly, 'sh'), stoppedMonthly: parseDecimal(p.stoppedMonthly, 'sm') };
        },
      };
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
      for (let month = monthOf(steps[1].at); month.start < Math.min(asOf, life.endsAt); month = monthOf(month.end)) {
        const overlapping = metered.segments.filter((s) => s.startedAt < month.end && (s.endedAt === null || s.endedAt > month.start));
        if (overlapping.length === 0) continue;
        const line = rateResource({ info: metered.info, segments: overlapping, life }, month, asOf, prices, 'EUR');
        const expected = reference(steps, cycle, asOf, granularity, stopped, month);
        if (line.amountMinor !== expected) {
          throw new Error(`history ${n} (${cycle}, ${granularity}, ${stopped}) month ${new Date(month.start * 1000).toISOString()}: engine ${formatMinor(line.amountMinor, 'EUR')}, reference ${formatMinor(expected, 'EUR')}\n${JSON.stringify(steps)}`);
        }
        compared++;
      }
    }
    expect(compared).toBeGreaterThan(400);
  });
});
