import { Inject, Injectable, Logger, type OnApplicationBootstrap, type OnApplicationShutdown } from '@nestjs/common';
import type { NatsConnection } from '@nats-io/transport-node';
import type pg from 'pg';
import { EventConsumer, EventStore } from '#libs/event-store';
import { PG_POOL } from '#libs/event-sourcing';
import { NATS_CONNECTION } from '#libs/platform';
import { ADDRESSING_EVENT_TYPES, recordInstanceAddresses } from './instance-addresses.js';

/** The durable consumer of network's answers with each instance's addresses, shared by the replicas. */
@Injectable()
export class InstanceAddressesConsumer implements OnApplicationBootstrap, OnApplicationShutdown {
  private readonly consumer: EventConsumer;

  constructor(@Inject(PG_POOL) pool: pg.Pool, store: EventStore, @Inject(NATS_CONNECTION) nats: NatsConnection) {
    this.consumer = new EventConsumer({
      pool,
      schema: store.schema,
      service: 'compute',
      nats,
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

  onApplicationBootstrap(): Promise<void> {
    return this.consumer.start();
  }

  onApplicationShutdown(): Promise<void> {
    return this.consumer.stop();
  }
}
