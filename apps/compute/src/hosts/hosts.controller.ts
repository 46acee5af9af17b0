import { Controller, Inject, Logger, type OnApplicationBootstrap, type OnApplicationShutdown } from '@nestjs/common';
import { MessagePattern, Payload } from '@nestjs/microservices';
import type { NatsConnection, Subscription } from '@nats-io/transport-node';
import type pg from 'pg';
import { AGENT_HEARTBEAT_SUBJECT, SYSTEM_ACTOR, type EventMetadata, type HostHeartbeat } from '#libs/contracts';
import { EventStore } from '#libs/event-store';
import { NATS_CONNECTION, PG_POOL, readWholeNumber } from '#libs/platform';
import { Hosts } from './hosts.js';

/** A host that has not been heard from for this long is DOWN (HOST_DOWN_TIMEOUT_MS). */
const DOWN_TIMEOUT_MS = readWholeNumber('HOST_DOWN_TIMEOUT_MS', 30_000, { expected: 'at least 1000 milliseconds', min: 1000 });

/**
 * `compute.host.*` for the gateway, and the agents' heartbeats: each heartbeat is taken by
 * one compute replica (queue group), and every replica looks for silent hosts.
 */
@Controller()
export class HostsController implements OnApplicationBootstrap, OnApplicationShutdown {
  private readonly logger = new Logger('hosts');
  private readonly hosts: Hosts;
  private subscription: Subscription | undefined;
  private watcher: NodeJS.Timeout | undefined;

  constructor(@Inject(PG_POOL) pool: pg.Pool, store: EventStore, @Inject(NATS_CONNECTION) private readonly nats: NatsConnection) {
    this.hosts = new Hosts(pool, store);
  }

  onApplicationBootstrap(): void {
    this.subscription = this.nats.subscribe(AGENT_HEARTBEAT_SUBJECT, {
      queue: 'compute',
      callback: (_error, message) => {
        this.hosts.recordHeartbeat(message.json<HostHeartbeat>()).catch((error: Error) => this.logger.warn(`heartbeat dropped: ${error.message}`));
      },
    });
    this.watcher = setInterval(() => {
      this.hosts
        .markSilentHostsDown(DOWN_TIMEOUT_MS)
        .then((down) => down.forEach((id) => this.logger.warn(`host ${id} is DOWN: no heartbeat for ${DOWN_TIMEOUT_MS / 1000} s`)))
        .catch((error: Error) => this.logger.error(`down check failed: ${error.message}`));
    }, Math.min(5000, DOWN_TIMEOUT_MS));
  }

  onApplicationShutdown(): void {
    clearInterval(this.watcher);
    this.subscription?.unsubscribe();
  }

  @MessagePattern('compute.host.list')
  list() {
    return this.hosts.list();
  }

  @MessagePattern('compute.host.setMaintenance')
  setMaintenance(@Payload() payload: { id: string; maintenance: boolean; metadata?: EventMetadata }) {
    const metadata = payload?.metadata ?? { correlationId: `maintenance-${payload?.id}`, causationId: null, actor: SYSTEM_ACTOR };
    return this.hosts.setMaintenance(payload?.id, payload?.maintenance, metadata);
  }
}
