import { fold } from '#libs/event-store';
import { deciderSpec } from '#libs/testing';
import { instanceDecider, type InstanceCommand, type InstanceEvent } from '../instances/instance.decider.js';

const spec = deciderSpec(instanceDecider);
const state = (events: InstanceEvent[]) => fold(instanceDecider, events);

const requestedVm: InstanceEvent = {
  type: 'InstanceRequested',
  data: { instanceId: '5f0e6a2c-1111-4222-8333-944455556666', accountId: 'acc-1', name: 'web-1', kind: 'VM', imageId: 'debian-12', planId: 'vm-1g', regionId: 'local', billingCycle: 'HOURLY' },
};
const running: InstanceEvent[] = [
  requestedVm,
  { type: 'InstanceScheduled', data: { hostId: 'node-1' } },
  { type: 'InstanceAddressed', data: { addresses: [] } },
  { type: 'InstanceStarted', data: {} }, // version 4
];
const stopped: InstanceEvent[] = [...running, { type: 'InstanceStopRequested', data: { force: false } }, { type: 'InstanceStopped', data: {} }]; // version 6

const B1 = '0b4d8f2e-0000-4000-8000-000000000001';
const B2 = '0b4d8f2e-0000-4000-8000-000000000002';
const create = (backupId: string, scheduled = false): InstanceCommand => ({ type: 'CreateBackup', backupId, scheduled });
const requested = (backupId: string, scheduled = false): InstanceEvent => ({ type: 'InstanceBackupRequested', data: { backupId, scheduled } });
const restore = (backupId: string): InstanceCommand => ({ type: 'RestoreBackup', backupId, kind: 'VM' });

describe("an instance's backups", () => {
  describe('taken', () => {
    it('of a running or a stopped instance, its status unchanged; done once the host wrote it, with its size', () => {
      spec.given(running).when(create(B1)).then([requested(B1)]);
      spec.given(stopped).when(create(B1, true)).then([requested(B1, true)]);
      expect(state([...running, requested(B1)])).toMatchObject({ status: 'RUNNING', operation: { kind: 'backup', backupId: B1, version: 5 } });
      spec.given([...running, requested(B1)]).when({ type: 'CompleteBackup', requestVersion: 5, sizeMb: 120 })
        .then([{ type: 'InstanceBackedUp', data: { backupId: B1, sizeMb: 120 } }]);
      expect(state([...running, requested(B1), { type: 'InstanceBackedUp', data: { backupId: B1, sizeMb: 120 } }])).toMatchObject({ status: 'RUNNING', operation: null });
    });

    it('asked again, nothing more; a late answer to an earlier request changes nothing', () => {
      spec.given([...running, requested(B1)]).when(create(B1)).then([]);
      spec.given([...running, requested(B1)]).when({ type: 'CompleteBackup', requestVersion: 4, sizeMb: 1 }).then([]);
    });

    it('fails with the reason the host gives (a full store), and the instance is free again', () => {
      const reason = 'backup failed on host node-1: no space left for the backup (backup store /mnt/backups)';
      spec.given([...running, requested(B1)]).when({ type: 'FailOperation', requestVersion: 5, reason })
        .then([{ type: 'InstanceBackupFailed', data: { backupId: B1, reason } }]);
      expect(state([...running, requested(B1), { type: 'InstanceBackupFailed', data: { backupId: B1, reason } }])).toMatchObject({ status: 'RUNNING', operation: null });
    });

    it('is CONFLICT during another operation, and another operation during it is CONFLICT too', () => {
      spec.given([...running, { type: 'InstanceRebootRequested', data: {} }]).when(create(B1)).thenThrows(/cannot back up an instance that is REBOOTING \(reboot in progress\)/);
      spec.given([...running, requested(B1)]).when(create(B2)).thenThrows(/cannot back up an instance that is RUNNING \(backup in progress\)/);
      spec.given([...running, requested(B1)]).when({ type: 'RebootInstance' }).thenThrows(/\(backup in progress\)/);
      spec.given([...running, requested(B1)]).when({ type: 'CreateSnapshot', snapshotId: B2, name: 'x', limit: 10 }).thenThrows(/\(backup in progress\)/);
      spec.given([...running, requested(B1)]).when({ type: 'MigrateInstance', toHostId: null, reason: 'admin' }).thenThrows(/\(backup in progress\)/);
      spec.given([...stopped, { type: 'InstanceDeletionRequested', data: {} }]).when(create(B1)).thenThrows(/DELETING/);
    });

    it('fails when a delete or the loss of its host takes over', () => {
      spec.given([...running, requested(B1)]).when({ type: 'DeleteInstance' }).then([
        { type: 'InstanceBackupFailed', data: { backupId: B1, reason: 'the instance was deleted meanwhile' } },
        { type: 'InstanceDeletionRequested', data: {} },
      ]);
      spec.given([...running, requested(B1)]).when({ type: 'MigrateInstance', toHostId: null, reason: 'evacuation' }).then([
        { type: 'InstanceBackupFailed', data: { backupId: B1, reason: 'host node-1 was lost meanwhile' } },
        { type: 'InstanceMigrationRequested', data: { fromHostId: 'node-1', toHostId: null, live: false, reason: 'evacuation' } },
      ]);
    });
  });

  describe('restored in place', () => {
    it('onto a STOPPED instance: RESTORING, then STOPPED once its host wrote the disk', () => {
      spec.given(stopped).when(restore(B1)).then([{ type: 'BackupRestoreRequested', data: { backupId: B1 } }]);
      const restoring = [...stopped, { type: 'BackupRestoreRequested', data: { backupId: B1 } }] as InstanceEvent[];
      expect(state(restoring)).toMatchObject({ status: 'RESTORING', operation: { kind: 'restoreBackup', backupId: B1, version: 7 } });
      spec.given(restoring).when({ type: 'CompleteOperation', requestVersion: 7 }).then([{ type: 'BackupRestored', data: { backupId: B1 } }]);
      spec.given(restoring).when(restore(B1)).then([]);
      expect(state([...restoring, { type: 'BackupRestored', data: { backupId: B1 } }])).toMatchObject({ status: 'STOPPED', operation: null });
    });

    it('refused by its host (the checksum failed): STOPPED again, as it was', () => {
      const restoring = [...stopped, { type: 'BackupRestoreRequested', data: { backupId: B1 } }] as InstanceEvent[];
      spec.given(restoring).when({ type: 'FailOperation', requestVersion: 7, reason: 'checksum mismatch' })
        .then([{ type: 'BackupRestoreFailed', data: { backupId: B1, reason: 'checksum mismatch' } }]);
      expect(state([...restoring, { type: 'BackupRestoreFailed', data: { backupId: B1, reason: 'checksum mismatch' } }])).toMatchObject({ status: 'STOPPED', operation: null });
    });

    it('is CONFLICT on a running instance, and a backup of another kind is bad input', () => {
      spec.given(running).when(restore(B1)).thenThrows(/cannot restore a backup onto an instance that is RUNNING/);
      expect(() => instanceDecider.decide({ type: 'RestoreBackup', backupId: B1, kind: 'CONTAINER' }, state(stopped)))
        .toThrow(expect.objectContaining({ code: 'BAD_USER_INPUT', field: 'id' }));
    });
  });

  describe('a new instance from a backup', () => {
    it('is seeded while it waits for its host, once', () => {
      spec.given([requestedVm]).when({ type: 'SeedFromBackup', backupId: B1 }).then([{ type: 'InstanceSeededFromBackup', data: { backupId: B1 } }]);
      const seeded = [requestedVm, { type: 'InstanceSeededFromBackup', data: { backupId: B1 } }] as InstanceEvent[];
      expect(state(seeded)).toMatchObject({ status: 'PENDING', seedBackupId: B1, operation: { kind: 'schedule', version: 1 } });
      spec.given(seeded).when({ type: 'ScheduleInstance', requestVersion: 1, hostId: 'node-2' }).then([{ type: 'InstanceScheduled', data: { hostId: 'node-2' } }]);
      spec.given(running).when({ type: 'SeedFromBackup', backupId: B1 }).then([]);
    });
  });

  describe('scheduled', () => {
    const schedule = (hourUtc: number, keep: number): InstanceCommand => ({ type: 'SetBackupSchedule', schedule: { hourUtc, keep } });

    it('daily at an hour, keeping the newest N; set again the same, nothing; cleared, none', () => {
      spec.given(running).when(schedule(3, 7)).then([{ type: 'BackupScheduleSet', data: { hourUtc: 3, keep: 7 } }]);
      const set = [...running, { type: 'BackupScheduleSet', data: { hourUtc: 3, keep: 7 } }] as InstanceEvent[];
      expect(state(set)).toMatchObject({ backupSchedule: { hourUtc: 3, keep: 7 }, status: 'RUNNING', operation: null });
      spec.given(set).when(schedule(3, 7)).then([]);
      spec.given(set).when({ type: 'SetBackupSchedule', schedule: null }).then([{ type: 'BackupScheduleCleared', data: {} }]);
      spec.given(running).when({ type: 'SetBackupSchedule', schedule: null }).then([]);
      // Whatever else goes on: a schedule is not an operation.
      spec.given([...running, requested(B1)]).when(schedule(0, 1)).then([{ type: 'BackupScheduleSet', data: { hourUtc: 0, keep: 1 } }]);
    });

    it.each([
      [24, 1, 'schedule.hourUtc'], [-1, 1, 'schedule.hourUtc'], [1.5, 1, 'schedule.hourUtc'], [3, 0, 'schedule.keep'], [3, 91, 'schedule.keep'],
    ])('refuses hour %j keep %j as BAD_USER_INPUT on %s', (hourUtc, keep, field) => {
      expect(() => instanceDecider.decide(schedule(hourUtc, keep), state(running))).toThrow(expect.objectContaining({ code: 'BAD_USER_INPUT', field }));
    });

    it('is CONFLICT on a deleted instance', () => {
      spec.given([...stopped, { type: 'InstanceDeletionRequested', data: {} }, { type: 'InstanceDeleted', data: {} }]).when(schedule(3, 1)).thenThrows(/DELETED/);
    });
  });
});
