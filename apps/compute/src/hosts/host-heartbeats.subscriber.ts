import { Inject, Injectable, Logger, type OnApplicationBootstrap, type OnApplicationShutdown } from '@nestjs/common';
import type { NatsConnection, Subscription } from '@nats-io/transport-node';
import { AGENT_HEARTBEATS_SUBJECT, AppError } from '#libs/contracts';
import { NATS_CONNECTION, RecurringFailure } from '#libs/platform';
import { heartbeatOf } from './heartbeat-message.js';
import { Hosts } from './hosts.js';

/** The agents' heartbeats, each recorded by one compute replica (queue group): what keeps a host UP. */
@Injectable()
export class HostHeartbeatsSubscriber implements OnApplicationBootstrap, OnApplicationShutdown {
  private readonly logger = new Logger('hosts');
  /** Every heartbeat fails alike while PostgreSQL is away: once in the log. */
  private readonly failures = new RecurringFailure(this.logger, 'recording heartbeats', 'warn');
  private subscription: Subscription | undefined;

  constructor(
    private readonly hosts: Hosts,
    @Inject(NATS_CONNECTION) private readonly nats: NatsConnection,
  ) {}

  onApplicationBootstrap(): void {
    this.subscription = this.nats.subscribe(AGENT_HEARTBEATS_SUBJECT, {
      queue: 'compute',
      callback: (_error, message) => {
        void this.failures.run(() =>
          Promise.resolve()
            .then(() => this.hosts.recordHeartbeat(heartbeatOf(message)))
            .catch((error: unknown) => {
              // One host's heartbeat refused (malformed, or a retired host's) is that host's line, not an outage.
              if (!(error instanceof AppError)) throw error;
              this.logger.warn(`heartbeat dropped: ${error.message}`);
            }),
        );
      },
    });
  }

  onApplicationShutdown(): void {
    this.subscription?.unsubscribe();
  }
}
