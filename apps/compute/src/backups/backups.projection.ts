import type { Projection } from '#libs/event-store';
import { instanceIdOf } from '../instances/instance.decider.js';
import type { BackupEvent } from './backup.decider.js';
import type { InstanceBackupEvent } from './instance-backups.js';

/** `backups`: each backup as its stream says, with the version of its instance's request while it is being taken. */
export const backupsProjection: Projection = {
  name: 'backups',
  eventTypes: [
    'BackupRequested', 'BackupCreated', 'BackupFailed', 'BackupDeletionRequested', 'BackupDeleted', 'InstanceBackupRequested',
  ] satisfies (BackupEvent | InstanceBackupEvent)['type'][],
  async apply(tx, recorded) {
    const event = recorded as unknown as BackupEvent | Extract<InstanceBackupEvent, { type: 'InstanceBackupRequested' }>;
    const { backupId } = event.data;
    const at = recorded.occurredAt;
    switch (event.type) {
      case 'BackupRequested': {
        const b = event.data;
        await tx.query(
          `INSERT INTO backups (id, instance_id, account_id, region_id, kind, plan_id, image_id, billing_cycle, instance_name, scheduled, status, status_since, created_at)
           VALUES ($1, $2, $3, $4, $5, $6, $7, $8, $9, $10, 'CREATING', $11, $11)`,
          [backupId, b.instanceId, b.accountId, b.regionId, b.kind, b.planId, b.imageId, b.billingCycle, b.instanceName, b.scheduled, at],
        );
        return;
      }
      case 'InstanceBackupRequested':
        await tx.query('UPDATE backups SET operation_version = $2 WHERE id = $1 AND instance_id = $3', [backupId, recorded.version, instanceIdOf(recorded.streamId)]);
        return;
      case 'BackupCreated':
        await tx.query(`UPDATE backups SET status = 'AVAILABLE', size_mb = $2, operation_version = NULL, status_since = $3 WHERE id = $1`, [backupId, event.data.sizeMb, at]);
        return;
      case 'BackupFailed':
        await tx.query(`UPDATE backups SET status = 'ERROR', failure_reason = $2, operation_version = NULL, status_since = $3 WHERE id = $1`, [backupId, event.data.reason, at]);
        return;
      case 'BackupDeletionRequested':
        await tx.query(`UPDATE backups SET status = 'DELETING', status_since = $2 WHERE id = $1`, [backupId, at]);
        return;
      case 'BackupDeleted':
        await tx.query(`UPDATE backups SET status = 'DELETED', status_since = $2 WHERE id = $1`, [backupId, at]);
        return;
    }
  },
  async clear(tx) {
    await tx.query('DELETE FROM backups');
  },
};

/** `backup_schedules`: each instance's schedule, as its stream says; none once it is deleted. */
export const backupSchedulesProjection: Projection = {
  name: 'backup_schedules',
  eventTypes: ['BackupScheduleSet', 'BackupScheduleCleared', 'InstanceDeleted'],
  async apply(tx, recorded) {
    const instanceId = instanceIdOf(recorded.streamId);
    if (recorded.type === 'BackupScheduleSet') {
      const { hourUtc, keep } = recorded.data as { hourUtc: number; keep: number };
      await tx.query(
        `INSERT INTO backup_schedules (instance_id, account_id, hour_utc, keep, set_at)
         SELECT i.id, i.account_id, $2, $3, $4 FROM instances i WHERE i.id = $1
         ON CONFLICT (instance_id) DO UPDATE SET hour_utc = $2, keep = $3, set_at = $4`,
        [instanceId, hourUtc, keep, recorded.occurredAt],
      );
    } else {
      await tx.query('DELETE FROM backup_schedules WHERE instance_id = $1', [instanceId]);
    }
  },
  async clear(tx) {
    await tx.query('DELETE FROM backup_schedules');
  },
};
