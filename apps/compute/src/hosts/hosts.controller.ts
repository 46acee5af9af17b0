import { Controller, Inject, Logger, type OnApplicationBootstrap, type OnApplicationShutdown } from '@nestjs/common';
import { MessagePattern, Payload } from '@nestjs/microservices';
import type { NatsConnection, Subscription } from '@nats-io/transport-node';
import type pg from 'pg';
import { AGENT_HEARTBEAT_SUBJECT, SYSTEM_ACTOR, type EventMetadata, type HostHeartbeat } from '#libs/contracts';
import { EventStore } from '#libs/event-store';
import { PG_POOL } from '#libs/event-sourcing';
import { NATS_CONNECTION } from '#libs/platform';
import { hostDownTimeoutMs, Hosts } from './hosts.js';

const DOWN_TIMEOUT_MS = hostDownTimeoutMs();
const CHECK_INTERVAL_MS = Math.min(1000, DOWN_TIMEOUT_MS / 4);

/**
 * `compute.host.*` for the gateway, and the agents' heartbeats: each heartbeat is taken by
 * one compute replica (queue group), and every replica looks for silent hosts. A host is only
 * judged by a replica that has itself been able to record heartbeats for a whole down-timeout:
 * after its own start or a database outage, silence may be compute's, not the host's.
 */
@Controller()
export class HostsController implements OnApplicationBootstrap, OnApplicationShutdown {
  private readonly logger = new Logger('hosts');
  private readonly hosts: Hosts;
  private subscription: Subscription | undefined;
  private watcher: NodeJS.Timeout | undefined;
  /** Since when this replica's down checks have succeeded without a break. */
  private healthySince = Date.now();

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
    this.watcher = setInterval(() => void this.checkHosts(), CHECK_INTERVAL_MS);
  }

  private async checkHosts(): Promise<void> {
    if (Date.now() - this.healthySince < DOWN_TIMEOUT_MS) {
      // Not judging yet, but the database must answer for the time to count.
      await this.hosts.list().catch((error: Error) => this.unhealthy(error));
      return;
    }
    try {
      for (const host of await this.hosts.markSilentHostsDown(DOWN_TIMEOUT_MS)) {
        this.logger.warn(`host ${host.id} is DOWN: no heartbeat for ${DOWN_TIMEOUT_MS / 1000} s`);
        if (!host.fencesInTime) {
          this.logger.error(`host ${host.id} does not fence itself within ${DOWN_TIMEOUT_MS} ms (FENCE_TIMEOUT_MS): its instances are not restarted elsewhere`);
        }
      }
    } catch (error) {
      this.unhealthy(error as Error);
    }
  }

  private unhealthy(error: Error): void {
    this.healthySince = Date.now();
    this.logger.error(`down check failed: ${error.message}`);
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
