import { Inject, Injectable, Logger, type OnModuleInit } from '@nestjs/common';
import type pg from 'pg';
import type { ConsumerOptions } from '#libs/event-store';
import { PG_POOL, ServiceConsumers } from '#libs/event-sourcing';
import { Accounts } from '../accounts/accounts.js';
import { METERED_EVENT_TYPES, Metering } from './metering.js';

/**
 * What billing learns from the other services, each through its own durable consumer with an
 * inbox: identity's accounts, compute's instances and backups, and network's addresses.
 */
@Injectable()
export class MeteringConsumer implements OnModuleInit {
  private readonly logger = new Logger('metering');
  private readonly metering = new Metering();

  constructor(@Inject(PG_POOL) private readonly pool: pg.Pool, consumers: ServiceConsumers) {
    const { logger, metering } = this;
    const feed = (name: string, source: string, filterSubject: string, eventTypes: readonly string[], handle: ConsumerOptions['handle']) =>
      consumers.add({ name, source, filterSubject, eventTypes, handle, concurrency: 8, maxDeliver: 50, backoffMs: [500, 1000, 5000, 10_000, 30_000], logger });
    feed('billing-accounts', 'identity', 'events.identity.account.>', ['AccountCreated'], (event, tx) => Accounts.record(event, tx));
    feed('billing-instances', 'compute', 'events.compute.instance.>', METERED_EVENT_TYPES.instance, (event, tx) => metering.record(event, tx));
    // A backup is an aggregate of its own (it outlives its instance): its stream is not its instance's.
    feed('billing-backups', 'compute', 'events.compute.backup.>', METERED_EVENT_TYPES.backup, (event, tx) => metering.record(event, tx));
    feed('billing-ips', 'network', 'events.network.ip.>', METERED_EVENT_TYPES.ip, (event, tx) => metering.record(event, tx));
  }

  /** Before the consumers start (they start once the application is up): instances queued to be folded again under the meter's current rule. */
  async onModuleInit(): Promise<void> {
    const refolded = await this.metering.refoldQueued(this.pool);
    if (refolded > 0) this.logger.log(`folded ${refolded} instances again under the meter's current rule`);
  }
}
