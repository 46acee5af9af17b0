import type { Projection } from '#libs/event-store';
import { instanceIdOf } from '../instances/instance.decider.js';
import type { SnapshotEvent } from './instance-snapshots.js';

/** `snapshots`: each snapshot as its instance's events say (a restore is the instance's status, not the snapshot's). */
export const snapshotsProjection: Projection = {
  name: 'snapshots',
  eventTypes: ['SnapshotRequested', 'SnapshotCreated', 'SnapshotFailed', 'SnapshotDeletionRequested', 'SnapshotDeleted'] satisfies SnapshotEvent['type'][],
  async apply(tx, recorded) {
    const event = recorded as unknown as SnapshotEvent;
    const { snapshotId } = event.data;
    const at = recorded.occurredAt;
    switch (event.type) {
      case 'SnapshotRequested':
        await tx.query(
          `INSERT INTO snapshots (id, instance_id, account_id, name, status, operation_version, status_since, created_at)
           SELECT $1, i.id, i.account_id, $3, 'CREATING', $4, $5, $5 FROM instances i WHERE i.id = $2`,
          [snapshotId, instanceIdOf(recorded.streamId), event.data.name, recorded.version, at],
        );
        return;
      case 'SnapshotCreated':
        await tx.query(`UPDATE snapshots SET status = 'AVAILABLE', size_mb = $2, operation_version = NULL, status_since = $3 WHERE id = $1`, [snapshotId, event.data.sizeMb, at]);
        return;
      case 'SnapshotFailed':
        await tx.query(`UPDATE snapshots SET status = 'ERROR', failure_reason = $2, operation_version = NULL, status_since = $3 WHERE id = $1`, [snapshotId, event.data.reason, at]);
        return;
      case 'SnapshotDeletionRequested':
        await tx.query(`UPDATE snapshots SET status = 'DELETING', operation_version = $2, status_since = $3 WHERE id = $1`, [snapshotId, recorded.version, at]);
        return;
      case 'SnapshotDeleted':
        await tx.query(`UPDATE snapshots SET status = 'DELETED', operation_version = NULL, status_since = $2 WHERE id = $1`, [snapshotId, at]);
        return;
    }
  },
  async clear(tx) {
    await tx.query('DELETE FROM snapshots');
  },
};
