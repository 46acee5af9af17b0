import { Inject, Injectable, Logger } from '@nestjs/common';
import { deliveriesWithin } from '#libs/event-store';
import { ServiceConsumers } from '#libs/event-sourcing';
import { COMPUTE_CONFIG, longestOperationMs, type ComputeConfig } from '../compute.config.js';
import { DISK_COPY_EVENT_TYPES, InstanceProvisioner, PROVISIONED_EVENT_TYPES } from './instance-provisioner.js';

const BACKOFF_MS = [1000, 2000, 5000, 10_000, 30_000];

/**
 * The provisioner's durable consumers of compute's own instance events, shared by the replicas: one
 * for the operations an agent answers soon, one for those that copy a disk (instance-provisioner.ts).
 */
@Injectable()
export class InstanceProvisionerConsumer {
  constructor(consumers: ServiceConsumers, provisioner: InstanceProvisioner, @Inject(COMPUTE_CONFIG) config: ComputeConfig) {
    const common = {
      source: 'compute',
      filterSubject: 'events.compute.instance.>',
      handle: provisioner.handle.bind(provisioner),
      inbox: false, // the provisioner is idempotent through the decider, and its agent calls are slow
      ackWaitMs: 10_000,
      backoffMs: BACKOFF_MS,
      logger: new Logger('instances'),
    } as const;
    consumers.add({ ...common, name: 'compute-provisioner', eventTypes: PROVISIONED_EVENT_TYPES, concurrency: 4, maxDeliver: 30 });
    consumers.add({
      ...common,
      name: 'compute-disk-copies',
      eventTypes: DISK_COPY_EVENT_TYPES,
      concurrency: 16,
      // A backup's agent is asked again each minute while it works, for as long as the copy may take: past
      // that, its watch fails the operation, and the next delivery finds nothing left to do.
      maxDeliver: deliveriesWithin(longestOperationMs(config), BACKOFF_MS),
    });
  }
}
