import { Injectable, Logger } from '@nestjs/common';
import type { AccountStatus, EventEnvelope } from '#libs/contracts';
import { EventStore, handleCommand } from '#libs/event-store';
import { ServiceConsumers } from '#libs/event-sourcing';
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
export class BillingStandingConsumer {
  constructor(consumers: ServiceConsumers, store: EventStore) {
    consumers.add({
      name: 'identity-billing-standing',
      source: 'billing',
      filterSubject: 'events.billing.account.>',
      eventTypes: Object.keys(STATUS_OF),
      inbox: false, // idempotent through the decider: it records which of billing's versions it followed
      handle: (event) => follow(store, event),
      logger: new Logger('billing-standing'),
    });
  }
}

async function follow(store: EventStore, event: EventEnvelope): Promise<void> {
  const { accountId } = event.data as { accountId: string };
  await handleCommand(store, accountStreamId(accountId), accountDecider, { type: 'FollowBillingStanding', status: STATUS_OF[event.type], billingVersion: event.version }, {
    correlationId: event.metadata?.correlationId ?? event.eventId, causationId: event.eventId, actor: { kind: 'system' },
  });
}
