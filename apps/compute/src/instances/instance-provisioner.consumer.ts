import { Inject, Injectable, Logger, type OnApplicationBootstrap, type OnApplicationShutdown } from '@nestjs/common';
import type { NatsConnection } from '@nats-io/transport-node';
import type pg from 'pg';
import { EventConsumer, EventStore } from '#libs/event-store';
import { PG_POOL } from '#libs/event-sourcing';
import { NATS_CONNECTION } from '#libs/platform';
import { InstanceProvisioner, PROVISIONED_EVENT_TYPES } from './instance-provisioner.js';

/** The provisioner's durable consumer of compute's own instance events, shared by the replicas. */
@Injectable()
export class InstanceProvisionerConsumer implements OnApplicationBootstrap, OnApplicationShutdown {
  private readonly consumer: EventConsumer;

  constructor(@Inject(PG_POOL) pool: pg.Pool, store: EventStore, @Inject(NATS_CONNECTION) nats: NatsConnection, provisioner: InstanceProvisioner) {
    this.consumer = new EventConsumer({
      pool,
      schema: store.schema,
      service: 'compute',
      nats,
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

  onApplicationBootstrap(): Promise<void> {
    return this.consumer.start();
  }

  onApplicationShutdown(): Promise<void> {
    return this.consumer.stop();
  }
}
