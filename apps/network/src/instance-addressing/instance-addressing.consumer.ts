import { Injectable, Logger } from '@nestjs/common';
import { ServiceConsumers } from '#libs/event-sourcing';
import { ADDRESSED_EVENT_TYPES, InstanceAddressing } from './instance-addressing.js';

/** The durable consumer of compute's instance events that the replicas share. */
@Injectable()
export class InstanceAddressingConsumer {
  constructor(consumers: ServiceConsumers, addressing: InstanceAddressing) {
    consumers.add({
      name: 'network-addressing',
      source: 'compute',
      filterSubject: 'events.compute.instance.>',
      eventTypes: ADDRESSED_EVENT_TYPES,
      handle: (event, tx) => addressing.handle(event, tx),
      concurrency: 4,
      maxDeliver: 30,
      backoffMs: [500, 1000, 5000, 10_000, 30_000],
      logger: new Logger('addressing'),
    });
  }
}
