import { changedFrom } from './metering.js';
import { meterInstance, meterIp, type MeterEvent } from './meter.js';

let n = 0;
const event = (type: string, version: number, at: string, data: unknown = {}): MeterEvent => ({ eventId: `e${++n}`, type, version, occurredAt: at, data });
const requested = (planId = 'small') =>
  event('InstanceRequested', 1, '2026-09-01T00:00:00Z', { instanceId: 'i1', accountId: 'a1', name: 'web', kind: 'VM', imageId: 'x', planId, regionId: 'r', billingCycle: 'HOURLY' });
const at = (iso: string) => Date.parse(iso) / 1000;

describe('meter', () => {
  it('opens at scheduling, switches on stop, start and resize, and closes at deletion, each boundary shared', () => {
    const events = [
      requested(), event('InstanceScheduled', 2, '2026-09-01T00:00:01Z', { hostId: 'h' }), event('InstanceStarted', 4, '2026-09-01T00:00:09Z'),
      event('InstanceStopped', 6, '2026-09-02T00:00:00Z'), event('InstanceResized', 8, '2026-09-02T01:00:00Z', { fromPlanId: 'small', toPlanId: 'large' }),
      event('InstanceStarted', 10, '2026-09-03T00:00:00Z'), event('InstanceDeleted', 12, '2026-09-04T00:00:00.999Z'),
    ];
    const metered = meterInstance('i1', events)!;
    expect(metered.billable).toBe(true);
    expect(metered.segments.map((s) => [s.sku, s.state, s.startedAt, s.endedAt])).toEqual([
      ['small', 'RUNNING', at('2026-09-01T00:00:01Z'), at('2026-09-02T00:00:00Z')],
      ['small', 'STOPPED', at('2026-09-02T00:00:00Z'), at('2026-09-02T01:00:00Z')],
      ['large', 'STOPPED', at('2026-09-02T01:00:00Z'), at('2026-09-03T00:00:00Z')],
      ['large', 'RUNNING', at('2026-09-03T00:00:00Z'), at('2026-09-04T00:00:00Z')],
    ]);
    // Arriving in any order, the same segments.
    expect(meterInstance('i1', [...events].reverse())).toEqual(metered);
  });

  it('waits for the request, and never lets a skewed clock make segments overlap', () => {
    expect(meterInstance('i1', [event('InstanceScheduled', 2, '2026-09-01T00:00:00Z')])).toBeNull();
    const skewed = meterInstance('i1', [requested(), event('InstanceScheduled', 2, '2026-09-01T10:00:00Z'), event('InstanceStopped', 3, '2026-09-01T09:59:58Z')])!;
    expect(skewed.segments.map((s) => [s.startedAt, s.endedAt])).toEqual([[at('2026-09-01T10:00:00Z'), at('2026-09-01T10:00:00Z')], [at('2026-09-01T10:00:00Z'), null]]);
  });

  it('does not bill an instance whose create failed before it ran, but bills one that failed later', () => {
    const scheduled = event('InstanceScheduled', 2, '2026-09-01T00:00:00Z');
    expect(meterInstance('i1', [requested(), scheduled, event('InstanceFailed', 3, '2026-09-01T00:05:00Z', { reason: 'x' })])).toMatchObject({ billable: false });
    const ran = meterInstance('i1', [requested(), scheduled, event('InstanceStarted', 3, '2026-09-01T00:01:00Z'), event('InstanceFailed', 4, '2026-09-01T00:05:00Z', { reason: 'x' })])!;
    expect(ran).toMatchObject({ billable: true, segments: [expect.objectContaining({ endedAt: null })] });
  });

  it('bills a floating IPv4 from allocation to release, and no instance-owned or IPv6 address', () => {
    const ip = (family: string, floating: boolean) => event('IpAllocated', 1, '2026-09-01T00:00:00Z', { ipId: 'p', address: 'x', family, floating, accountId: 'a1', regionId: 'r' });
    const floating = meterIp('p', [event('IpReleased', 2, '2026-09-02T00:00:00Z'), ip('IPV4', true)])!;
    expect(floating.segments.map((s) => [s.sku, s.state, s.endedAt! - s.startedAt])).toEqual([['ipv4', 'ALLOCATED', 86_400]]);
    expect(meterIp('p', [ip('IPV4', false)])).toBeNull();
    expect(meterIp('p', [ip('IPV6', true)])).toBeNull();
  });

  it('finds the earliest second at which two versions of a resource\'s usage differ', () => {
    const before = meterInstance('i1', [requested(), event('InstanceScheduled', 2, '2026-09-01T00:00:00Z')])!.segments;
    const closed = before.map((s) => ({ ...s, endedAt: at('2026-10-15T00:00:00Z'), closedBy: 'x' }));
    expect(changedFrom(before, before)).toBeNull();
    expect(changedFrom(before, closed)).toBe(at('2026-10-15T00:00:00Z'));
    expect(changedFrom([], closed)).toBe(at('2026-09-01T00:00:00Z'));
    expect(changedFrom(closed, [])).toBe(at('2026-09-01T00:00:00Z'));
  });
});
