import { Injectable, Logger } from '@nestjs/common';
import { EventStore } from '#libs/event-store';
import { ServiceConsumers } from '#libs/event-sourcing';
import { FIREWALL_HISTORY_EVENT_TYPES, recordFirewallChange } from './firewall-history.js';
import { FILTER_CHANGE_EVENT_TYPES, HOST_FILTER_EVENT_TYPES, InstanceFilters } from './instance-filters.js';

/** Compute's durable consumers for firewalls, shared by the replicas: network's attaches and filter changes, and its own hosts' new agents. */
@Injectable()
export class FirewallsConsumer {
  constructor(consumers: ServiceConsumers, store: EventStore, filters: InstanceFilters) {
    const logger = new Logger('firewalls');
    consumers.add({
      name: 'compute-instance-firewalls',
      source: 'network',
      filterSubject: 'events.network.firewall.>',
      eventTypes: FIREWALL_HISTORY_EVENT_TYPES,
      // With the inbox: an attach redelivered after its detach is recorded no second time.
      handle: (event, tx) => recordFirewallChange(store, event, tx),
      concurrency: 4,
      logger,
    });
    const backoffMs = [1000, 5000, 15_000, 60_000];
    consumers.add({
      name: 'compute-instance-filters',
      source: 'network',
      filterSubject: 'events.network.filter.>',
      eventTypes: FILTER_CHANGE_EVENT_TYPES,
      handle: (event) => filters.sendChanged(event),
      inbox: false, // a host holds a filter only when newer than its own; the agent's answer is slow to wait for in a transaction
      concurrency: 8,
      // An instance moving is asked again until it has landed: a migration takes up to 30 minutes.
      maxDeliver: 60,
      backoffMs,
      logger,
    });
    consumers.add({
      name: 'compute-host-filters',
      source: 'compute',
      filterSubject: 'events.compute.host.>',
      eventTypes: HOST_FILTER_EVENT_TYPES,
      handle: (event) => filters.sendAll(event),
      inbox: false, // as above
      ackWaitMs: 60_000,
      maxDeliver: 30,
      backoffMs,
      logger,
    });
  }
}
