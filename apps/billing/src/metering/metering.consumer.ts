import { Inject, Injectable, Logger, type OnApplicationBootstrap, type OnApplicationShutdown } from '@nestjs/common';
import type { NatsConnection } from '@nats-io/transport-node';
import type pg from 'pg';
import { EventConsumer, EventStore, type ConsumerOptions } from '#libs/event-store';
import { PG_POOL } from '#libs/event-sourcing';
import { NATS_CONNECTION } from '#libs/platform';
import { Accounts } from '../accounts/accounts.js';
import { METERED_EVENT_TYPES, Metering } from './metering.js';

/**
 * What billing learns from the other services, each through its own durable consumer with an
 * inbox: identity's accounts, compute's instances and network's addresses.
 */
@Injectable()
export class MeteringConsumer implements OnApplicationBootstrap, OnApplicationShutdown {
  private readonly consumers: EventConsumer[];
  private readonly logger = new Logger('metering');
  private readonly metering = new Metering();

  constructor(@Inject(PG_POOL) private readonly pool: pg.Pool, store: EventStore, @Inject(NATS_CONNECTION) nats: NatsConnection) {
    const { logger, metering } = this;
    const feed = (name: string, source: string, filterSubject: string, eventTypes: readonly string[], handle: ConsumerOptions['handle']) =>
      new EventConsumer({
        pool, schema: store.schema, service: 'billing', nats, name, source, filterSubject, eventTypes, handle,
        concurrency: 8, maxDeliver: 50, backoffMs: [500, 1000, 5000, 10_000, 30_000], logger,
      });
    this.consumers = [
      feed('billing-accounts', 'identity', 'events.identity.account.>', ['AccountCreated'], (event, tx) => Accounts.record(event, tx)),
      feed('billing-instances', 'compute', 'events.compute.instance.>', METERED_EVENT_TYPES.instance, (event, tx) => metering.record(event, tx)),
      feed('billing-ips', 'network', 'events.network.ip.>', METERED_EVENT_TYPES.ip, (event, tx) => metering.record(event, tx)),
    ];
  }

  async onApplicationBootstrap(): Promise<void> {
    const refolded = await this.metering.refoldQueued(this.pool);
    if (refolded > 0) this.logger.log(`folded ${refolded} instances again under the meter's current rule`);
    for (const consumer of this.consumers) await consumer.start();
  }

  async onApplicationShutdown(): Promise<void> {
    for (const consumer of this.consumers) await consumer.stop();
  }
}
