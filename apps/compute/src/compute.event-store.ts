import { type EventStoreDefinition } from '#libs/event-sourcing';
import { backupsMigrations } from './backups/backups.migrations.js';
import { backupSchedulesProjection, backupsProjection } from './backups/backups.projection.js';
import { catalogMigrations } from './catalog/catalog.migrations.js';
import { catalogProjection } from './catalog/catalog.projection.js';
import { hostsMigrations } from './hosts/hosts.migrations.js';
import { hostsProjection } from './hosts/hosts.projection.js';
import { instancesMigrations } from './instances/instances.migrations.js';
import { instancesProjection } from './instances/instances.projection.js';
import { snapshotsMigrations } from './snapshots/snapshots.migrations.js';
import { snapshotsProjection } from './snapshots/snapshots.projection.js';
import { suspensionsMigrations } from './suspensions/account-suspensions.migrations.js';

export const computeEventStore: EventStoreDefinition = {
  service: 'compute',
  migrations: [...catalogMigrations, ...hostsMigrations, ...instancesMigrations, ...suspensionsMigrations, ...snapshotsMigrations, ...backupsMigrations],
  // snapshots and backup schedules after instances: they take their account from the instance's row.
  projections: [catalogProjection, hostsProjection, instancesProjection, snapshotsProjection, backupsProjection, backupSchedulesProjection],
};
