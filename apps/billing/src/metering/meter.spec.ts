import { changedFrom } from './metering.js';
import { meterInstance, meterInstanceFrom, meterIp, type MeterEvent, type UsageSegment } from './meter.js';

let n = 0;
const event = (type: string, version: number, at: string, data: unknown = {}): MeterEvent => ({ eventId: `e${++n}`, type, version, occurredAt: at, data });
const requested = (planId = 'small') =>
  event('InstanceRequested', 1, '2026-09-01T00:00:00Z', { instanceId: 'i1', accountId: 'a1', name: 'web', kind: 'VM', imageId: 'x', planId, regionId: 'r', billingCycle: 'HOURLY' });
const at = (iso: string) => Date.parse(iso) / 1000;
const spans = (events: MeterEvent[]) => meterInstance('i1', events)!.segments.map((s) => [s.sku, s.state, s.startedAt, s.endedAt]);

describe('meter', () => {
  it('opens at the first start, switches on stop, start and resize, and closes at deletion, each boundary shared', () => {
    const scheduled = event('InstanceScheduled', 2, '2026-09-01T00:00:01Z', { hostId: 'h' });
    const started = event('InstanceStarted', 4, '2026-09-01T00:00:09Z');
    const events = [
      requested(), scheduled, started,
      event('InstanceStopped', 6, '2026-09-02T00:00:00Z'), event('InstanceResized', 8, '2026-09-02T01:00:00Z', { fromPlanId: 'small', toPlanId: 'large' }),
      event('InstanceStarted', 10, '2026-09-03T00:00:00Z'), event('InstanceDeleted', 12, '2026-09-04T00:00:00.999Z'),
    ];
    const metered = meterInstance('i1', events)!;
    expect(spans(events)).toEqual([
      ['small', 'RUNNING', at('2026-09-01T00:00:09Z'), at('2026-09-02T00:00:00Z')],
      ['small', 'STOPPED', at('2026-09-02T00:00:00Z'), at('2026-09-02T01:00:00Z')],
      ['large', 'STOPPED', at('2026-09-02T01:00:00Z'), at('2026-09-03T00:00:00Z')],
      ['large', 'RUNNING', at('2026-09-03T00:00:00Z'), at('2026-09-04T00:00:00Z')],
    ]);
    // The first segment is the first start's: its id stays the same however often it is folded.
    expect(metered.segments[0]).toMatchObject({ id: started.eventId, openedBy: started.eventId });
    // Arriving in any order, the same segments.
    expect(meterInstance('i1', [...events].reverse())).toEqual(metered);
  });

  it('bills nothing of an instance that never ran: not its scheduling, not its deletion', () => {
    const scheduled = event('InstanceScheduled', 2, '2026-09-01T00:00:00Z', { hostId: 'h' });
    expect(spans([requested(), scheduled, event('InstanceDeletionRequested', 3, '2026-09-01T00:00:05Z'), event('InstanceDeleted', 4, '2026-09-01T00:00:06Z')])).toEqual([]);
    expect(spans([requested(), scheduled, event('InstanceFailed', 3, '2026-09-01T00:05:00Z', { reason: 'x' })])).toEqual([]);
    // A failed create the host still has, stopped and resized before anyone started it: billed from that start, in its plan then.
    expect(spans([
      requested(), scheduled, event('InstanceFailed', 3, '2026-09-01T00:05:00Z', { reason: 'x' }), event('InstanceStopped', 5, '2026-09-01T00:06:00Z'),
      event('InstanceResized', 7, '2026-09-01T00:07:00Z', { fromPlanId: 'small', toPlanId: 'large' }), event('InstanceStarted', 9, '2026-09-01T00:08:00Z'),
    ])).toEqual([['large', 'RUNNING', at('2026-09-01T00:08:00Z'), null]]);
  });

  it('bills a stop from the fact, not the request: STOPPING is still running, STARTING still stopped', () => {
    expect(spans([
      requested(), event('InstanceStarted', 3, '2026-09-01T00:00:00Z'),
      event('InstanceStopRequested', 4, '2026-09-01T01:00:00Z', { force: false }), event('InstanceStopped', 5, '2026-09-01T01:00:30Z'),
      event('InstanceStartRequested', 6, '2026-09-01T02:00:00Z'), event('InstanceStarted', 7, '2026-09-01T02:00:20Z'),
    ])).toEqual([
      ['small', 'RUNNING', at('2026-09-01T00:00:00Z'), at('2026-09-01T01:00:30Z')],
      ['small', 'STOPPED', at('2026-09-01T01:00:30Z'), at('2026-09-01T02:00:20Z')],
      ['small', 'RUNNING', at('2026-09-01T02:00:20Z'), null],
    ]);
  });

  it('waits for the request, and never lets a skewed clock make segments overlap', () => {
    expect(meterInstance('i1', [event('InstanceStarted', 3, '2026-09-01T00:00:00Z')])).toBeNull();
    const skewed = meterInstance('i1', [requested(), event('InstanceStarted', 3, '2026-09-01T10:00:00Z'), event('InstanceStopped', 4, '2026-09-01T09:59:58Z')])!;
    expect(skewed.segments.map((s) => [s.startedAt, s.endedAt])).toEqual([[at('2026-09-01T10:00:00Z'), at('2026-09-01T10:00:00Z')], [at('2026-09-01T10:00:00Z'), null]]);
  });

  it('keeps billing an instance that failed after it ran: it still holds its host and disk', () => {
    const ran = meterInstance('i1', [requested(), event('InstanceStarted', 3, '2026-09-01T00:01:00Z'), event('InstanceFailed', 4, '2026-09-01T00:05:00Z', { reason: 'x' })])!;
    expect(ran.segments).toEqual([expect.objectContaining({ startedAt: at('2026-09-01T00:01:00Z'), endedAt: null })]);
  });

  it('does not split a migration: usage runs on without a gap or an overlap', () => {
    expect(spans([
      requested(), event('InstanceStarted', 3, '2026-09-01T00:00:00Z'),
      event('InstanceMigrationRequested', 4, '2026-09-01T01:00:00Z', { fromHostId: 'h1', toHostId: 'h2', live: true, reason: 'admin' }),
      event('InstanceMigrated', 5, '2026-09-01T01:00:10Z', { fromHostId: 'h1', toHostId: 'h2' }), event('InstanceDeleted', 6, '2026-09-01T02:00:00Z'),
    ])).toEqual([['small', 'RUNNING', at('2026-09-01T00:00:00Z'), at('2026-09-01T02:00:00Z')]]);
  });

  it("goes on from an instance's open segment to the segments folding every event gives, for a start, a stop or a resize", () => {
    const events = [
      requested(), event('InstanceStarted', 3, '2026-09-01T00:00:00Z'), event('InstanceStarted', 4, '2026-09-01T00:30:00Z'),
      event('InstanceStopped', 6, '2026-09-01T01:00:00Z'), event('InstanceStopped', 7, '2026-09-01T01:10:00Z'),
      event('InstanceResized', 9, '2026-09-01T02:00:00Z', { fromPlanId: 'small', toPlanId: 'large' }),
      event('InstanceResized', 10, '2026-09-01T02:30:00Z', { fromPlanId: 'large', toPlanId: 'large' }),
      event('InstanceStarted', 12, '2026-09-01T03:00:00Z'), event('InstanceStopped', 14, '2026-09-01T02:59:00Z'), // a skewed clock
      event('InstanceResized', 16, '2026-09-01T04:00:00Z', { fromPlanId: 'large', toPlanId: 'small' }),
    ];
    // From the first start on, each event folded onto the segments so far: closed ones kept, the open one gone on from.
    let segments: UsageSegment[] = meterInstance('i1', events.slice(0, 2))!.segments;
    for (let i = 2; i < events.length; i++) {
      const open = segments.at(-1)!;
      const from = meterInstanceFrom(open, events[i]);
      expect(from?.[0]).toMatchObject({ id: open.id, startedAt: open.startedAt });
      segments = [...segments.slice(0, -1), ...from!];
      expect(segments).toEqual(meterInstance('i1', events.slice(0, i + 1))!.segments);
    }
    expect(segments.map((s) => [s.sku, s.state])).toEqual([['small', 'RUNNING'], ['small', 'STOPPED'], ['large', 'STOPPED'], ['large', 'RUNNING'], ['large', 'STOPPED'], ['small', 'STOPPED']]);
  });

  it('needs the whole history for any other event, and for an instance whose usage has ended', () => {
    const started = meterInstance('i1', [requested(), event('InstanceStarted', 3, '2026-09-01T00:00:00Z')])!.segments[0];
    expect(meterInstanceFrom(started, event('InstanceDeleted', 4, '2026-09-02T00:00:00Z'))).toBeNull();
    expect(meterInstanceFrom(started, event('SnapshotCreated', 4, '2026-09-02T00:00:00Z', { snapshotId: 's', sizeMb: 1 }))).toBeNull();
    expect(meterInstanceFrom({ ...started, endedAt: at('2026-09-02T00:00:00Z'), closedBy: 'e' }, event('InstanceStarted', 5, '2026-09-03T00:00:00Z'))).toBeNull();
  });

  it('bills a floating IPv4 from allocation to release, and no instance-owned or IPv6 address', () => {
    const ip = (family: string, floating: boolean) => event('IpAllocated', 1, '2026-09-01T00:00:00Z', { ipId: 'p', address: 'x', family, floating, accountId: 'a1', regionId: 'r' });
    const floating = meterIp('p', [event('IpReleased', 2, '2026-09-02T00:00:00Z'), ip('IPV4', true)])!;
    expect(floating.segments.map((s) => [s.sku, s.state, s.endedAt! - s.startedAt])).toEqual([['ipv4', 'ALLOCATED', 86_400]]);
    expect(meterIp('p', [ip('IPV4', false)])).toBeNull();
    expect(meterIp('p', [ip('IPV6', true)])).toBeNull();
  });

  it('finds the earliest second at which two versions of a resource\'s usage differ', () => {
    const before = meterInstance('i1', [requested(), event('InstanceStarted', 3, '2026-09-01T00:00:00Z')])!.segments;
    const closed = before.map((s) => ({ ...s, endedAt: at('2026-10-15T00:00:00Z'), closedBy: 'x' }));
    expect(changedFrom(before, before)).toBeNull();
    expect(changedFrom(before, closed)).toBe(at('2026-10-15T00:00:00Z'));
    expect(changedFrom([], closed)).toBe(at('2026-09-01T00:00:00Z'));
    expect(changedFrom(closed, [])).toBe(at('2026-09-01T00:00:00Z'));
  });
});
