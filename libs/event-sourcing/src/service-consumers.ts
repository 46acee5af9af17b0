import type { OnApplicationBootstrap, OnApplicationShutdown } from '@nestjs/common';
import type { NatsConnection } from '@nats-io/transport-node';
import type pg from 'pg';
import { EventConsumer, type ConsumerOptions, type EventStore } from '#libs/event-store';

/** A consumer's own settings: the service's pool, schema, name and NATS connection come from its event store. */
export type ServiceConsumerOptions = Omit<ConsumerOptions, 'pool' | 'schema' | 'service' | 'nats' | 'streamReplicas'>;

/**
 * The service's durable consumers: each capability adds its own (in its constructor), and all of
 * them start once the application is up and stop with it. A capability with work to do before its
 * consumer runs does it in its onModuleInit, which comes first.
 */
export class ServiceConsumers implements OnApplicationBootstrap, OnApplicationShutdown {
  private readonly consumers: EventConsumer[] = [];
  /** Each consumer's durable name and the service whose events it reads: what its metrics are read by. */
  readonly durables: { name: string; source: string }[] = [];

  constructor(
    private readonly pool: pg.Pool,
    private readonly store: EventStore,
    private readonly service: string,
    private readonly nats: NatsConnection,
    /** NATS_STREAM_REPLICAS: each consumer's, and its streams'. */
    private readonly streamReplicas?: number,
  ) {}

  add(options: ServiceConsumerOptions): EventConsumer {
    const consumer = new EventConsumer({ ...options, pool: this.pool, schema: this.store.schema, service: this.service, nats: this.nats, streamReplicas: this.streamReplicas });
    this.consumers.push(consumer);
    this.durables.push({ name: options.name, source: options.source });
    return consumer;
  }

  async onApplicationBootstrap(): Promise<void> {
    for (const consumer of this.consumers) await consumer.start();
  }

  async onApplicationShutdown(): Promise<void> {
    for (const consumer of this.consumers) await consumer.stop();
  }
}
