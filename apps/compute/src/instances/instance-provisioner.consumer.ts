import { Injectable, Logger } from '@nestjs/common';
import { ServiceConsumers } from '#libs/event-sourcing';
import { InstanceProvisioner, PROVISIONED_EVENT_TYPES } from './instance-provisioner.js';

/** The provisioner's durable consumer of compute's own instance events, shared by the replicas. */
@Injectable()
export class InstanceProvisionerConsumer {
  constructor(consumers: ServiceConsumers, provisioner: InstanceProvisioner) {
    consumers.add({
      name: 'compute-provisioner',
      source: 'compute',
      filterSubject: 'events.compute.instance.>',
      eventTypes: PROVISIONED_EVENT_TYPES,
      handle: (event, tx) => provisioner.handle(event, tx),
      inbox: false, // the provisioner is idempotent through the decider, and its agent calls are slow
      concurrency: 4,
      ackWaitMs: 10_000,
      maxDeliver: 30,
      backoffMs: [1000, 2000, 5000, 10_000, 30_000],
      logger: new Logger('instances'),
    });
  }
}
