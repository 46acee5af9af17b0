import type { Projection } from '#libs/event-store';
import { INSTANCE_BACKUP_EVENT_TYPES } from '../backups/instance-backups.js';
import { CONSOLE_EVENT_TYPES } from '../consoles/instance-consoles.js';
import { INSTANCE_FIREWALL_EVENT_TYPES } from '../firewalls/instance-firewalls.js';
import { SNAPSHOT_EVENT_TYPES } from '../snapshots/instance-snapshots.js';
import { instanceDecider, instanceIdOf, type InstanceEvent, type InstanceState } from './instance.decider.js';

export const INSTANCE_EVENT_TYPES: readonly InstanceEvent['type'][] = [
  'InstanceRequested', 'InstanceScheduled', 'InstanceAddressed', 'InstanceStarted', 'InstanceStopped', 'InstanceResized', 'InstanceFailed',
  'InstanceDeleted', 'InstanceStartRequested', 'InstanceStopRequested', 'InstanceRebootRequested', 'InstanceResizeRequested',
  'InstanceDeletionRequested', 'InstanceMigrationRequested', 'InstanceMigrated', 'InstanceMigrationAborted',
  // A snapshot's or a backup's operation is the instance's, and a restore its status.
  ...SNAPSHOT_EVENT_TYPES,
  ...INSTANCE_BACKUP_EVENT_TYPES,
  // History-only events as well: the kept state counts every event of the stream, so its statusVersion
  // is the stream's (the watcher's timeouts and observed stops name it).
  ...CONSOLE_EVENT_TYPES,
  ...INSTANCE_FIREWALL_EVENT_TYPES,
];

/** `instances`: each instance as its events say, with the plan's size for quotas. */
export const instancesProjection: Projection = {
  name: 'instances',
  eventTypes: INSTANCE_EVENT_TYPES,
  async apply(tx, recorded) {
    const event = recorded as unknown as InstanceEvent;
    if (event.type === 'InstanceRequested') {
      const state = instanceDecider.evolve(instanceDecider.initialState(), event);
      const d = event.data;
      await tx.query(
        `INSERT INTO instances (id, position, account_id, name, kind, image_id, plan_id, region_id, billing_cycle, status, status_since,
           vcpus, memory_mb, disk_gb, state, created_at, updated_at, fqdn)
         SELECT $1, $2, $3, $4, $5, $6, $7, $8, $9, $10, $11, p.vcpus, p.memory_mb, p.disk_gb, $12, $11, $11, $4 || '.' || $8 || '.' || r.dns_zone
         FROM plans p, regions r WHERE p.id = $7 AND r.id = $8`,
        [d.instanceId, recorded.globalPosition, d.accountId, d.name, d.kind, d.imageId, d.planId, d.regionId, d.billingCycle,
          state.status, recorded.occurredAt, state],
      );
      return;
    }
    const id = instanceIdOf(recorded.streamId);
    const { rows } = await tx.query<{ state: InstanceState }>('SELECT state FROM instances WHERE id = $1 FOR UPDATE', [id]);
    const before = rows[0].state;
    const after = instanceDecider.evolve(before, event);
    await tx.query(
      `UPDATE instances i SET status = $2, host_id = $3, plan_id = $4, state = $5, updated_at = $6,
         status_since = CASE WHEN $7 THEN $6 ELSE i.status_since END,
         failure_reason = CASE WHEN $2 = 'ERROR' THEN coalesce($8, i.failure_reason) END,
         vcpus = p.vcpus, memory_mb = p.memory_mb, disk_gb = p.disk_gb
       FROM plans p WHERE i.id = $1 AND p.id = $4`,
      [id, after.status, after.hostId, after.planId, after, recorded.occurredAt, after.statusVersion !== before.statusVersion,
        event.type === 'InstanceFailed' ? event.data.reason : null],
    );
  },
  async clear(tx) {
    await tx.query('DELETE FROM instances');
  },
};
