import { Injectable, Logger } from '@nestjs/common';
import { ServiceConsumers } from '#libs/event-sourcing';
import { BACKUP_OUTCOME_EVENT_TYPES, BACKUP_STORE_EVENT_TYPES, BackupLifecycle } from './backup-lifecycle.js';

/** Compute's durable consumers of its own events for backups, shared by the replicas: the instances' outcomes, and the backups' own work. */
@Injectable()
export class BackupsConsumer {
  constructor(consumers: ServiceConsumers, lifecycle: BackupLifecycle) {
    const logger = new Logger('backups');
    consumers.add({
      name: 'compute-backup-outcomes',
      source: 'compute',
      filterSubject: 'events.compute.instance.>',
      eventTypes: BACKUP_OUTCOME_EVENT_TYPES,
      handle: (event) => lifecycle.recordOutcome(event),
      inbox: false, // the backup's decider ignores an outcome it has
      logger,
    });
    consumers.add({
      name: 'compute-backup-store',
      source: 'compute',
      filterSubject: 'events.compute.backup.>',
      eventTypes: BACKUP_STORE_EVENT_TYPES,
      handle: (event) => lifecycle.carryOut(event),
      inbox: false, // removing a removed backup, or pruning twice, changes nothing
      ackWaitMs: 90_000,
      maxDeliver: 30,
      backoffMs: [5000, 15_000, 60_000, 300_000],
      logger,
    });
  }
}
