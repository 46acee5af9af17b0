import { Inject, Injectable, Logger, type OnApplicationBootstrap, type OnApplicationShutdown } from '@nestjs/common';
import type { NatsConnection } from '@nats-io/transport-node';
import type pg from 'pg';
import { EventConsumer, EventStore } from '#libs/event-store';
import { PG_POOL } from '#libs/event-sourcing';
import { NATS_CONNECTION } from '#libs/platform';
import { ADDRESSED_EVENT_TYPES, InstanceAddressing } from './instance-addressing.js';

/** The durable consumer of compute's instance events that the replicas share. */
@Injectable()
export class InstanceAddressingConsumer implements OnApplicationBootstrap, OnApplicationShutdown {
  private readonly consumer: EventConsumer;

  constructor(@Inject(PG_POOL) pool: pg.Pool, store: EventStore, @Inject(NATS_CONNECTION) nats: NatsConnection, addressing: InstanceAddressing) {
    this.consumer = new EventConsumer({
      pool,
      schema: store.schema,
      service: 'network',
      nats,
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

  onApplicationBootstrap(): Promise<void> {
    return this.consumer.start();
  }

  onApplicationShutdown(): Promise<void> {
    return this.consumer.stop();
  }
}
