import { meterSnapshots, type MeterEvent } from './meter.js';

let n = 0;
const event = (type: string, version: number, at: string, data: unknown = {}): MeterEvent => ({ eventId: `e${++n}`, type, version, occurredAt: at, data });
const at = (iso: string) => Date.parse(iso) / 1000;
const S1 = 's-1';
const S2 = 's-2';
const history = [
  event('InstanceRequested', 1, '2026-09-01T00:00:00Z', { instanceId: 'i1', accountId: 'a1', name: 'web', kind: 'VM', imageId: 'x', planId: 'vm-1g', regionId: 'r', billingCycle: 'HOURLY' }),
  event('InstanceStarted', 4, '2026-09-01T00:00:09Z'),
  event('SnapshotRequested', 5, '2026-09-02T00:00:00Z', { snapshotId: S1, name: 'before-upgrade' }),
  event('SnapshotCreated', 6, '2026-09-02T00:00:30Z', { snapshotId: S1, sizeMb: 2048 }),
  event('SnapshotRequested', 7, '2026-09-03T00:00:00Z', { snapshotId: S2, name: 'broken' }),
  event('SnapshotFailed', 8, '2026-09-03T00:00:10Z', { snapshotId: S2, reason: 'disk full' }),
];

describe('the meter of snapshots', () => {
  it('bills each snapshot as a resource of its own, stored from AVAILABLE to its deletion, at its size; one that failed costs nothing', () => {
    const deleted = event('SnapshotDeleted', 10, '2026-09-10T00:00:00Z', { snapshotId: S1 });
    const [metered, ...others] = meterSnapshots('i1', [...history, event('SnapshotDeletionRequested', 9, '2026-09-09T23:59:00Z', { snapshotId: S1 }), deleted]);
    expect(others).toEqual([]);
    expect(metered.info).toEqual({ resourceId: S1, type: 'SNAPSHOT', accountId: 'a1', name: 'before-upgrade of web', billingCycle: 'MONTHLY', sizeMb: 2048 });
    expect(metered.segments.map((s) => [s.sku, s.state, s.startedAt, s.endedAt, s.closedBy])).toEqual([
      ['snapshot-storage', 'STORED', at('2026-09-02T00:00:30Z'), at('2026-09-10T00:00:00Z'), deleted.eventId],
    ]);
    // In any order, the same.
    expect(meterSnapshots('i1', [...history, deleted].reverse())).toEqual(meterSnapshots('i1', [...history, deleted]));
  });

  it('stores it on while it lives, and ends it with its instance', () => {
    expect(meterSnapshots('i1', history)[0].segments[0].endedAt).toBeNull();
    const gone = event('InstanceDeleted', 12, '2026-09-20T00:00:00Z');
    expect(meterSnapshots('i1', [...history, event('SnapshotDeleted', 11, '2026-09-20T00:00:00Z', { snapshotId: S1 }), gone])[0].segments[0].endedAt).toBe(at('2026-09-20T00:00:00Z'));
    expect(meterSnapshots('i1', [...history, gone])[0].segments[0].closedBy).toBe(gone.eventId);
  });

  it('waits for the instance\'s request to know whose snapshots they are', () => {
    expect(meterSnapshots('i1', history.slice(1))).toEqual([]);
  });
});
