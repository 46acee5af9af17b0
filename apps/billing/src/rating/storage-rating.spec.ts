import { meterBackup, type UsageSegment } from '../metering/meter.js';
import { formatMinor, formatScaled, parseDecimal, productMinor } from '../money/money.js';
import { lifeOf, monthOf, priceBook, rateResource, type Price, type PriceHistory } from './rating.js';

const at = (iso: string) => Date.parse(iso) / 1000;
const perGbMonth = (monthly: string): Price => ({ hourly: parseDecimal('0.0001', 'h'), monthly: parseDecimal(monthly, 'm'), stoppedHourly: null, stoppedMonthly: null });
const SINCE_EVER = at('2020-01-01T00:00:00Z');
const book = (changes: [string, string][] = [], granularity: 'PER_SECOND' | 'PER_HOUR' = 'PER_SECOND') => priceBook([{
  prices: [{ sku: 'snapshot-storage', since: SINCE_EVER, price: perGbMonth('0.05') }, ...changes.map(([since, monthly]) => ({ sku: 'snapshot-storage', since: at(since), price: perGbMonth(monthly) }))],
  options: [{ since: SINCE_EVER, granularity, stoppedBilling: 'FULL' }],
} satisfies PriceHistory], 'EUR');

function rate(sizeMb: number, from: string, to: string | null, month: string, prices = book(), asOf = '2027-01-01T00:00:00Z') {
  const segment: UsageSegment = { id: 'g1', resourceId: 's1', sku: 'snapshot-storage', state: 'STORED', startedAt: at(from), endedAt: to ? at(to) : null, openedBy: 'e1', closedBy: to ? 'e2' : null };
  const info = { resourceId: 's1', type: 'SNAPSHOT' as const, accountId: 'a1', name: 'before-upgrade of web', billingCycle: 'MONTHLY' as const, sizeMb };
  const rated = rateResource({ info, segments: [segment], life: lifeOf([segment], at(asOf)) }, monthOf(at(month)), at(asOf), prices, 'EUR');
  return rated.lines.map((l) => ({ unit: l.unit, quantity: l.quantity, unitPrice: formatScaled(l.unitPrice), amount: formatMinor(l.amountMinor, 'EUR'), seconds: l.usage.map((u) => u.seconds) }));
}

describe('rating of snapshot storage, per GB-month', () => {
  it('charges a whole month of 2 GB two GB-months, whatever the month\'s length', () => {
    expect(rate(2048, '2026-06-01T00:00:00Z', null, '2026-06-10T00:00:00Z')).toEqual([
      { unit: 'GB-month', quantity: '2.000000', unitPrice: '0.05', amount: '0.10', seconds: [30 * 86_400] },
    ]);
    expect(rate(2048, '2026-07-01T00:00:00Z', '2026-08-01T00:00:00Z', '2026-07-10T00:00:00Z')[0]).toMatchObject({ quantity: '2.000000', amount: '0.10' });
  });

  it('prorates to the second: 512 MB for 10 of 30 days is a sixth of a GB-month', () => {
    // 1/6 = 0.1666…: shown as 0.166667, which at 0.05 gives the 0.01 the exact amount rounds to.
    expect(rate(512, '2026-06-05T00:00:00Z', '2026-06-15T00:00:00Z', '2026-06-01T00:00:00Z')).toEqual([
      { unit: 'GB-month', quantity: '0.166667', unitPrice: '0.05', amount: '0.01', seconds: [10 * 86_400] },
    ]);
  });

  it('splits a month at a price change, a line per price, each adding up', () => {
    const lines = rate(10_240, '2026-06-01T00:00:00Z', null, '2026-06-01T00:00:00Z', book([['2026-06-16T00:00:00Z', '0.08']]));
    expect(lines).toEqual([
      { unit: 'GB-month', quantity: '5.000000', unitPrice: '0.05', amount: '0.25', seconds: [15 * 86_400] },
      { unit: 'GB-month', quantity: '5.000000', unitPrice: '0.08', amount: '0.40', seconds: [15 * 86_400] },
    ]);
    for (const line of lines) expect(productMinor(line.quantity, line.unitPrice, 'EUR')).toBe(productMinor('1', line.amount, 'EUR'));
  });

  it('pads nothing: no minimum, no started hour, no cap', () => {
    expect(rate(1024, '2026-06-05T00:00:00Z', '2026-06-05T00:00:30Z', '2026-06-01T00:00:00Z', book([], 'PER_HOUR'))).toEqual([
      { unit: 'GB-month', quantity: '0.000012', unitPrice: '0.05', amount: '0.00', seconds: [30] },
    ]);
  });

  it("rates a backup at backup-storage's own price per GB-month, from its meter, a line of its own that adds up", () => {
    const book = priceBook([{
      prices: [{ sku: 'snapshot-storage', since: SINCE_EVER, price: perGbMonth('0.05') }, { sku: 'backup-storage', since: SINCE_EVER, price: perGbMonth('0.02') }],
      options: [{ since: SINCE_EVER, granularity: 'PER_HOUR', stoppedBilling: 'FULL' }],
    }], 'EUR');
    const backup = (sizeMb: number, created: string, deleted: string) => meterBackup('b1', [
      { eventId: 'e1', type: 'BackupRequested', version: 1, occurredAt: created, data: { backupId: 'b1', accountId: 'a1', instanceName: 'web' } },
      { eventId: 'e2', type: 'BackupCreated', version: 2, occurredAt: created, data: { backupId: 'b1', sizeMb } },
      { eventId: 'e3', type: 'BackupDeleted', version: 4, occurredAt: deleted, data: { backupId: 'b1' } },
    ])!;
    const rated = (sizeMb: number, created: string, deleted: string, month: string) => {
      const { info, segments } = backup(sizeMb, created, deleted);
      const asOf = at('2027-01-01T00:00:00Z');
      return rateResource({ info, segments, life: lifeOf(segments, asOf) }, monthOf(at(month)), asOf, book, 'EUR').lines
        .map((l) => ({ sku: l.sku, unit: l.unit, quantity: l.quantity, unitPrice: formatScaled(l.unitPrice), amount: formatMinor(l.amountMinor, 'EUR') }));
    };
    // 10 GB all of June: 10 GB-months at 0.02. No started hour, no minimum, whatever the list's granularity.
    expect(rated(10_240, '2026-06-01T00:00:00Z', '2026-07-01T00:00:00Z', '2026-06-01T00:00:00Z')).toEqual([
      { sku: 'backup-storage', unit: 'GB-month', quantity: '10.000000', unitPrice: '0.02', amount: '0.20' },
    ]);
    // 3 GB for 7 days and 30 seconds of June's 30: 0.7000347… GB-months, shown 0.700035; 0.014 → 0.01.
    const [line] = rated(3072, '2026-06-10T00:00:00Z', '2026-06-17T00:00:30Z', '2026-06-01T00:00:00Z');
    expect(line).toEqual({ sku: 'backup-storage', unit: 'GB-month', quantity: '0.700035', unitPrice: '0.02', amount: '0.01' });
    expect(productMinor(line.quantity, line.unitPrice, 'EUR')).toBe(productMinor('1', line.amount, 'EUR'));
  });

  it('counts a living snapshot up to now, in the months it lives in', () => {
    // Half of June: 0.025, rounded half-even once.
    expect(rate(1024, '2026-05-20T00:00:00Z', null, '2026-06-01T00:00:00Z', book(), '2026-06-16T00:00:00Z')[0]).toMatchObject({ quantity: '0.500000', amount: '0.02' });
    expect(rate(1024, '2026-05-20T00:00:00Z', null, '2026-05-01T00:00:00Z', book(), '2026-06-16T00:00:00Z')[0].seconds).toEqual([12 * 86_400]);
  });
});
