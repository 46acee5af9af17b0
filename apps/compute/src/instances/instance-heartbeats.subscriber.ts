import { Inject, Injectable, Logger, type OnApplicationBootstrap, type OnApplicationShutdown } from '@nestjs/common';
import type { NatsConnection, Subscription } from '@nats-io/transport-node';
import { AGENT_HEARTBEATS_SUBJECT, AppError } from '#libs/contracts';
import { NATS_CONNECTION, RecurringFailure } from '#libs/platform';
import { heartbeatOf } from '../hosts/heartbeat-message.js';
import { InstanceWatcher } from './instance-watcher.js';

/**
 * Each agent heartbeat, taken by one replica, reconciled with the instances it reports (a guest that
 * powered off, a host that fenced): the stops it records are logged as the instances' facts.
 */
@Injectable()
export class InstanceHeartbeatsSubscriber implements OnApplicationBootstrap, OnApplicationShutdown {
  private readonly logger = new Logger('instances');
  /** Every heartbeat fails alike while PostgreSQL is away: once in the log. */
  private readonly failures = new RecurringFailure(this.logger, 'reconciling heartbeats', 'warn');
  private subscription: Subscription | undefined;

  constructor(
    private readonly watcher: InstanceWatcher,
    @Inject(NATS_CONNECTION) private readonly nats: NatsConnection,
  ) {}

  onApplicationBootstrap(): void {
    // Its own queue group: the hosts capability takes every heartbeat too.
    this.subscription = this.nats.subscribe(AGENT_HEARTBEATS_SUBJECT, {
      queue: 'compute-instances',
      callback: (_error, message) => {
        void this.failures.run(() =>
          Promise.resolve()
            .then(() => this.watcher.reconcile(heartbeatOf(message)))
            .catch((error: unknown) => {
              // One host's malformed heartbeat is that host's line, not an outage.
              if (!(error instanceof AppError)) throw error;
              this.logger.warn(`heartbeat not reconciled: ${error.message}`);
            }),
        );
      },
    });
  }

  onApplicationShutdown(): void {
    this.subscription?.unsubscribe();
  }
}
