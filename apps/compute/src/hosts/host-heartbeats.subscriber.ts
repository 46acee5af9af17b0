import { Inject, Injectable, Logger, type OnApplicationBootstrap, type OnApplicationShutdown } from '@nestjs/common';
import type { NatsConnection, Subscription } from '@nats-io/transport-node';
import { AGENT_HEARTBEATS_SUBJECT, type HostHeartbeat } from '#libs/contracts';
import { NATS_CONNECTION, RecurringFailure } from '#libs/platform';
import { heartbeatOf } from './heartbeat-message.js';
import { Hosts } from './hosts.js';

/** The most heartbeats one statement records. */
const MAX_BATCH = 500;

/**
 * The agents' heartbeats, each recorded by one compute replica (queue group): what keeps a host UP.
 * Those that come while a write is under way are written together next, one statement for all
 * (the newest of each host's): one host's is written at once, a thousand hosts' in a few statements a second.
 */
@Injectable()
export class HostHeartbeatsSubscriber implements OnApplicationBootstrap, OnApplicationShutdown {
  private readonly logger = new Logger('hosts');
  /** Every heartbeat fails alike while PostgreSQL is away: once in the log. */
  private readonly failures = new RecurringFailure(this.logger, 'recording heartbeats', 'warn');
  private subscription: Subscription | undefined;
  /** Heartbeats waiting for the write under way, the newest of each host's. */
  private readonly waiting = new Map<string, HostHeartbeat>();
  private writing: Promise<void> | undefined;

  constructor(
    private readonly hosts: Hosts,
    @Inject(NATS_CONNECTION) private readonly nats: NatsConnection,
  ) {}

  onApplicationBootstrap(): void {
    this.subscription = this.nats.subscribe(AGENT_HEARTBEATS_SUBJECT, {
      queue: 'compute',
      callback: (_error, message) => {
        let beat: HostHeartbeat;
        try {
          beat = heartbeatOf(message);
        } catch (error) {
          // One host's heartbeat refused (not JSON, or naming another host) is that host's line, not an outage.
          return this.logger.warn(`heartbeat dropped: ${(error as Error).message}`);
        }
        this.waiting.delete(beat.hostId); // kept in arrival order: the newest last
        this.waiting.set(beat.hostId, beat);
        this.writing ??= this.write();
      },
    });
  }

  async onApplicationShutdown(): Promise<void> {
    this.subscription?.unsubscribe();
    await this.writing;
  }

  /** Writes what waits, batch after batch, until nothing does. */
  private async write(): Promise<void> {
    while (this.waiting.size > 0) {
      const beats = [...this.waiting.values()].slice(0, MAX_BATCH);
      for (const beat of beats) this.waiting.delete(beat.hostId);
      await this.failures.run(async () => {
        for (const refused of await this.hosts.recordHeartbeats(beats)) {
          // Malformed, or a retired host's: that host's line, not an outage.
          if (refused) this.logger.warn(`heartbeat dropped: ${refused.message}`);
        }
      });
    }
    this.writing = undefined;
  }
}
