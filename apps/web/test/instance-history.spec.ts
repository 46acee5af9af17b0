import { describeHistory, type HistoryEvent } from '../src/pages/instance/instance-history.js';

let n = 0;
const event = (type: string, data: object = {}): HistoryEvent => ({ id: `e${++n}`, type, occurredAt: '2025-03-04T05:06:07.000Z', data: JSON.stringify(data) });

describe("an instance's history in words", () => {
  it('says what happened, who did it and when, for a container created, snapshotted, stopped and restored', () => {
    const lines = describeHistory([
      event('InstanceRequested', { kind: 'CONTAINER', planId: 'ct-512m', imageId: 'dev-busybox-rootfs', regionId: 'local', name: 'web' }),
      event('InstanceScheduled', {}),
      event('InstanceAddressed', { addresses: [{ address: '10.0.0.5', family: 'IPV4' }, { address: 'fd00::5', family: 'IPV6' }] }),
      event('InstanceStarted'),
      event('SnapshotRequested', { snapshotId: 's-1', name: 'before-upgrade' }),
      event('SnapshotCreated', { snapshotId: 's-1', sizeMb: 12 }),
      event('InstanceStopRequested', { force: false }),
      event('InstanceStopped'),
      event('SnapshotRestoreRequested', { snapshotId: 's-1' }),
      event('SnapshotRestored', { snapshotId: 's-1' }),
    ]);
    expect(lines.map((l) => `${l.text} | ${l.by}`)).toEqual([
      'Created: a container on plan ct-512m from image dev-busybox-rootfs in region local | your account',
      'A host was chosen for it | Awan',
      'Addresses assigned: 10.0.0.5, fd00::5 | Awan',
      'Started: running | Awan',
      'Snapshot before-upgrade asked for | your account',
      'Snapshot before-upgrade taken (12 MB) | Awan',
      'Stop asked for | your account',
      'Stopped | Awan',
      'Restore from snapshot before-upgrade asked for | your account',
      "Restored from snapshot before-upgrade: its disk is the snapshot's | Awan",
    ]);
    expect(lines[0].occurredAt).toBe('2025-03-04T05:06:07.000Z');
  });

  it("names a scheduled backup's taker as the schedule, a console's opener by role, and a failure by its reason", () => {
    const lines = describeHistory([
      event('InstanceBackupRequested', { backupId: '0123456789abcdef', scheduled: true }),
      event('InstanceBackupRequested', { backupId: 'fedcba9876543210', scheduled: false }),
      event('ConsoleOpened', { sessionId: 'x', kind: 'SERIAL', accountId: 'a', role: 'CUSTOMER', apiKeyId: 'k' }),
      event('ConsoleClosed', { sessionId: 'x', kind: 'SERIAL', durationMs: 75_000, reason: 'the instance stopped' }),
      event('InstanceFailed', { reason: 'the host refused: no space' }),
      event('BackupScheduleSet', { hourUtc: 3, keep: 7 }),
    ]);
    expect(lines.map((l) => `${l.text} | ${l.by}`)).toEqual([
      'Backup 01234567 started | the backup schedule',
      'Backup fedcba98 started | your account',
      'Serial console opened | a person or key with the CUSTOMER role',
      'Serial console closed after 1 min 15 s: the instance stopped | Awan',
      'Failed: the host refused: no space | Awan',
      'Daily backups at 03:00 UTC, keeping the newest 7 | your account',
    ]);
  });

  it('reads a type it does not know as words, and a snapshot whose request it has not seen by its id', () => {
    const lines = describeHistory([event('InstanceHibernationRequested', {}), event('SnapshotDeleted', { snapshotId: 'abcdef0123456789' }), { ...event('InstanceStopped'), data: 'not json' }]);
    expect(lines.map((l) => l.text)).toEqual(['Instance hibernation requested', 'Snapshot abcdef01 deleted', 'Stopped']);
  });
});
