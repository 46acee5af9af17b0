import { Inject, Injectable, Logger } from '@nestjs/common';
import { deliveriesWithin } from '#libs/event-store';
import { ServiceConsumers } from '#libs/event-sourcing';
import { COMPUTE_CONFIG, longestOperationMs, type ComputeConfig } from '../compute.config.js';
import { AccountSuspensions, SUSPENSION_EVENT_TYPES } from './account-suspensions.js';

/** The durable consumer of billing's account events that the replicas share. */
@Injectable()
export class AccountSuspensionsConsumer {
  constructor(consumers: ServiceConsumers, suspensions: AccountSuspensions, @Inject(COMPUTE_CONFIG) config: ComputeConfig) {
    const backoffMs = [1000, 2000, 5000, 10_000, 30_000];
    consumers.add({
      name: 'compute-suspensions',
      source: 'billing',
      filterSubject: 'events.billing.account.>',
      eventTypes: SUSPENSION_EVENT_TYPES,
      handle: (event) => suspensions.handle(event),
      // No inbox: the suspension must commit before the stops (so creates are refused from then on),
      // each stop is an append of its own, and a delivery that waits for an instance to settle runs
      // again in full. The recorded version per account and the decider make every step idempotent.
      inbox: false,
      concurrency: 4,
      // An instance may take as long as its longest operation (a backup's 3 hours) to become stoppable.
      maxDeliver: deliveriesWithin(longestOperationMs(config), backoffMs),
      backoffMs,
      logger: new Logger('suspensions'),
    });
  }
}
