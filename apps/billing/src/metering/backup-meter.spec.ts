import type { BackupEvents } from '#libs/contracts';
import { meterBackup, type MeterEvent } from './meter.js';

let n = 0;
const event = (type: keyof BackupEvents, version: number, at: string, data: unknown = {}): MeterEvent => ({ eventId: `e${++n}`, type, version, occurredAt: at, data });
const at = (iso: string) => Date.parse(iso) / 1000;
const B1 = 'b-1';
const requested = event('BackupRequested', 1, '2026-09-02T03:00:00.250Z', {
  backupId: B1, instanceId: 'i1', accountId: 'a1', regionId: 'r', kind: 'VM', planId: 'vm-1g', imageId: 'x', billingCycle: 'HOURLY', instanceName: 'web', scheduled: true,
} satisfies BackupEvents['BackupRequested']);
const created = event('BackupCreated', 2, '2026-09-02T03:04:10Z', { backupId: B1, sizeMb: 3072 });
const deletionRequested = event('BackupDeletionRequested', 3, '2026-09-20T00:00:00Z', { backupId: B1 });
const deleted = event('BackupDeleted', 4, '2026-09-20T00:00:07Z', { backupId: B1 });

describe('the meter of backups', () => {
  it('bills a backup as a resource of its own account, stored at its size from BackupCreated to BackupDeleted', () => {
    const metered = meterBackup(B1, [requested, created, deletionRequested, deleted])!;
    expect(metered.info).toEqual({ resourceId: B1, type: 'BACKUP', accountId: 'a1', name: 'web taken 2026-09-02 03:00 UTC', billingCycle: 'MONTHLY', sizeMb: 3072 });
    expect(metered.segments.map((s) => [s.sku, s.state, s.startedAt, s.endedAt, s.openedBy, s.closedBy])).toEqual([
      ['backup-storage', 'STORED', at('2026-09-02T03:04:10Z'), at('2026-09-20T00:00:07Z'), created.eventId, deleted.eventId],
    ]);
    // Asking for its deletion frees nothing yet: it is stored until its files are gone.
    expect(meterBackup(B1, [requested, created, deletionRequested])!.segments[0].endedAt).toBeNull();
    // In any order, and however often, the same.
    expect(meterBackup(B1, [deleted, created, deleted, requested, deletionRequested])).toEqual(metered);
  });

  it('bills nothing for a backup that failed while being taken: it held nothing in the store', () => {
    expect(meterBackup(B1, [requested, event('BackupFailed', 2, '2026-09-02T03:10:00Z', { backupId: B1, reason: 'agent away' })])).toBeNull();
  });

  it('bills one found corrupt once AVAILABLE until it is deleted: it stays in the store till then', () => {
    const corrupt = event('BackupFailed', 3, '2026-09-05T00:00:00Z', { backupId: B1, reason: 'checksum mismatch' });
    expect(meterBackup(B1, [requested, created, corrupt])!.segments.map((s) => s.endedAt)).toEqual([null]);
    const gone = event('BackupDeleted', 5, '2026-09-06T00:00:00Z', { backupId: B1 });
    expect(meterBackup(B1, [requested, created, corrupt, event('BackupDeletionRequested', 4, '2026-09-06T00:00:00Z'), gone])!.segments.map((s) => [s.endedAt, s.closedBy]))
      .toEqual([[at('2026-09-06T00:00:00Z'), gone.eventId]]);
  });

  it('waits for both its request (whose it is) and its creation (what it holds)', () => {
    expect(meterBackup(B1, [created, deleted])).toBeNull();
    expect(meterBackup(B1, [requested])).toBeNull();
  });
});
