import { Inject, Injectable, Logger, type OnApplicationBootstrap, type OnApplicationShutdown } from '@nestjs/common';
import type { NatsConnection, Subscription } from '@nats-io/transport-node';
import { AGENT_HEARTBEATS_SUBJECT } from '#libs/contracts';
import { NATS_CONNECTION } from '#libs/platform';
import { heartbeatOf } from '../hosts/heartbeat-message.js';
import { InstanceWatcher } from './instance-watcher.js';

/** Each agent heartbeat, taken by one replica, reconciled with the instances it reports (a guest that powered off, a host that fenced). */
@Injectable()
export class InstanceHeartbeatsSubscriber implements OnApplicationBootstrap, OnApplicationShutdown {
  private readonly logger = new Logger('instances');
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
        Promise.resolve()
          .then(() => this.watcher.reconcile(heartbeatOf(message)))
          .then((ids) => ids.forEach((id) => this.logger.log(`instance ${id} stopped: its host reports the guest powered off`)))
          .catch((error: Error) => this.logger.warn(`heartbeat not reconciled: ${error.message}`));
      },
    });
  }

  onApplicationShutdown(): void {
    this.subscription?.unsubscribe();
  }
}
