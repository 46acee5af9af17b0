import { Injectable, Logger } from '@nestjs/common';
import { EventStore } from '#libs/event-store';
import { ServiceConsumers } from '#libs/event-sourcing';
import { ADDRESSING_EVENT_TYPES, recordInstanceAddresses } from './instance-addresses.js';

/** The durable consumer of network's answers with each instance's addresses, shared by the replicas. */
@Injectable()
export class InstanceAddressesConsumer {
  constructor(consumers: ServiceConsumers, store: EventStore) {
    consumers.add({
      name: 'compute-addressing',
      source: 'network',
      filterSubject: 'events.network.instance.>',
      eventTypes: ADDRESSING_EVENT_TYPES,
      handle: (event) => recordInstanceAddresses(store, event),
      inbox: false, // idempotent through the decider
      concurrency: 4,
      logger: new Logger('instances'),
    });
  }
}
