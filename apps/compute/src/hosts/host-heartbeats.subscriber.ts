import { Inject, Injectable, Logger, type OnApplicationBootstrap, type OnApplicationShutdown } from '@nestjs/common';
import type { NatsConnection, Subscription } from '@nats-io/transport-node';
import { AGENT_HEARTBEATS_SUBJECT } from '#libs/contracts';
import { NATS_CONNECTION } from '#libs/platform';
import { heartbeatOf } from './heartbeat-message.js';
import { Hosts } from './hosts.js';

/** The agents' heartbeats, each recorded by one compute replica (queue group): what keeps a host UP. */
@Injectable()
export class HostHeartbeatsSubscriber implements OnApplicationBootstrap, OnApplicationShutdown {
  private readonly logger = new Logger('hosts');
  private subscription: Subscription | undefined;

  constructor(
    private readonly hosts: Hosts,
    @Inject(NATS_CONNECTION) private readonly nats: NatsConnection,
  ) {}

  onApplicationBootstrap(): void {
    this.subscription = this.nats.subscribe(AGENT_HEARTBEATS_SUBJECT, {
      queue: 'compute',
      callback: (_error, message) => {
        Promise.resolve()
          .then(() => this.hosts.recordHeartbeat(heartbeatOf(message)))
          .catch((error: Error) => this.logger.warn(`heartbeat dropped: ${error.message}`));
      },
    });
  }

  onApplicationShutdown(): void {
    this.subscription?.unsubscribe();
  }
}
