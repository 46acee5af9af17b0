import { Inject, Injectable, Logger, type OnApplicationBootstrap, type OnApplicationShutdown } from '@nestjs/common';
import type { NatsConnection } from '@nats-io/transport-node';
import type pg from 'pg';
import type { AccountStatus, EventEnvelope } from '#libs/contracts';
import { EventConsumer, EventStore, handleCommand } from '#libs/event-store';
import { PG_POOL } from '#libs/event-sourcing';
import { NATS_CONNECTION } from '#libs/platform';
import { accountDecider, accountStreamId } from './account.decider.js';

/** Billing's dunning events and the account status each one means. */
const STATUS_OF: Record<string, Exclude<AccountStatus, 'CLOSED'>> = {
  AccountPastDue: 'PAST_DUE',
  AccountSuspended: 'SUSPENDED',
  AccountReinstated: 'ACTIVE',
};

/**
 * An account's status follows billing's dunning: a durable consumer of billing's account events
 * records AccountStatusChanged on the account's stream (and so on IDENTITY, for anyone to follow).
 */
@Injectable()
export class BillingStandingConsumer implements OnApplicationBootstrap, OnApplicationShutdown {
  private readonly consumer: EventConsumer;

  constructor(@Inject(PG_POOL) pool: pg.Pool, store: EventStore, @Inject(NATS_CONNECTION) nats: NatsConnection) {
    this.consumer = new EventConsumer({
      pool,
      schema: store.schema,
      service: 'identity',
      nats,
      name: 'identity-billing-standing',
      source: 'billing',
      filterSubject: 'events.billing.account.>',
      inbox: false, // idempotent through the decider: it records which of billing's versions it followed
      handle: (event) => this.follow(store, event),
      logger: new Logger('billing-standing'),
    });
  }

  private async follow(store: EventStore, event: EventEnvelope): Promise<void> {
    const status = STATUS_OF[event.type];
    if (!status) return;
    const { accountId } = event.data as { accountId: string };
    await handleCommand(store, accountStreamId(accountId), accountDecider, { type: 'FollowBillingStanding', status, billingVersion: event.version }, {
      correlationId: event.metadata?.correlationId ?? event.eventId, causationId: event.eventId, actor: { kind: 'system' },
    });
  }

  onApplicationBootstrap(): Promise<void> {
    return this.consumer.start();
  }

  onApplicationShutdown(): Promise<void> {
    return this.consumer.stop();
  }
}
