import { fold } from '#libs/event-store';
import { deciderSpec } from '#libs/testing';
import { assertRestorable, backupDecider, type BackupEvent } from './backup.decider.js';

const spec = deciderSpec(backupDecider);
const B = '0b4d8f2e-0000-4000-8000-000000000001';
const request = {
  backupId: B, instanceId: '5f0e6a2c-1111-4222-8333-944455556666', accountId: 'acc-1', regionId: 'local', kind: 'CONTAINER' as const,
  planId: 'ct-1g', imageId: 'dev-busybox-rootfs', billingCycle: 'HOURLY' as const, instanceName: 'web-1', scheduled: true,
};
const requested: BackupEvent[] = [{ type: 'BackupRequested', data: request }];
const available: BackupEvent[] = [...requested, { type: 'BackupCreated', data: { backupId: B, sizeMb: 12 } }];
const failed = (reason: string): BackupEvent => ({ type: 'BackupFailed', data: { backupId: B, reason } });

describe('a backup', () => {
  it('is CREATING, then AVAILABLE with its size or ERROR with the reason; asked again, nothing more', () => {
    spec.given([]).when({ type: 'RequestBackup', request }).then(requested);
    spec.given(requested).when({ type: 'RequestBackup', request }).then([]);
    spec.given(requested).when({ type: 'CompleteBackup', sizeMb: 12 }).then([{ type: 'BackupCreated', data: { backupId: B, sizeMb: 12 } }]);
    spec.given(available).when({ type: 'CompleteBackup', sizeMb: 13 }).then([]);
    spec.given(requested).when({ type: 'FailBackup', reason: 'the backup store is full' }).then([failed('the backup store is full')]);
    expect(fold(backupDecider, available)).toMatchObject({ status: 'AVAILABLE', backupId: B, scheduled: true, kind: 'CONTAINER' });
  });

  it('whose checksum fails is ERROR, and never restored', () => {
    spec.given(available).when({ type: 'FailBackup', reason: 'checksum mismatch' }).then([failed('checksum mismatch')]);
    const corrupt = fold(backupDecider, [...available, failed('checksum mismatch')]);
    expect(corrupt.status).toBe('ERROR');
    expect(() => assertRestorable(corrupt, B)).toThrow(expect.objectContaining({ code: 'CONFLICT', message: expect.stringContaining('is ERROR') }));
    expect(() => assertRestorable(fold(backupDecider, requested), B)).toThrow(/is CREATING/);
    expect(() => assertRestorable(fold(backupDecider, []), B)).toThrow(expect.objectContaining({ code: 'NOT_FOUND' }));
    expect(() => assertRestorable(fold(backupDecider, available), B)).not.toThrow();
    spec.given([...available, failed('checksum mismatch')]).when({ type: 'FailBackup', reason: 'again' }).then([]);
  });

  it('is deleted once AVAILABLE or ERROR: DELETING until the store has let it go, then DELETED; not while it is being taken', () => {
    spec.given(available).when({ type: 'DeleteBackup' }).then([{ type: 'BackupDeletionRequested', data: { backupId: B } }]);
    spec.given([...requested, failed('x')]).when({ type: 'DeleteBackup' }).then([{ type: 'BackupDeletionRequested', data: { backupId: B } }]);
    spec.given(requested).when({ type: 'DeleteBackup' }).thenThrows(/being taken/);
    const deleting: BackupEvent[] = [...available, { type: 'BackupDeletionRequested', data: { backupId: B } }];
    spec.given(deleting).when({ type: 'DeleteBackup' }).then([]);
    spec.given(deleting).when({ type: 'CompleteDeletion' }).then([{ type: 'BackupDeleted', data: { backupId: B } }]);
    spec.given([...deleting, { type: 'BackupDeleted', data: { backupId: B } }]).when({ type: 'CompleteDeletion' }).then([]);
    spec.given([]).when({ type: 'DeleteBackup' }).thenThrows(/backup not found/);
  });
});
