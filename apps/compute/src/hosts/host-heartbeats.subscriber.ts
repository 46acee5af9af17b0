import { Inject, Injectable, Logger, type OnApplicationBootstrap, type OnApplicationShutdown } from '@nestjs/common';
import type { NatsConnection, Subscription } from '@nats-io/transport-node';
import { AGENT_HEARTBEATS_SUBJECT, type HostHeartbeat } from '#libs/contracts';
import { NATS_CONNECTION, RecurringFailure } from '#libs/platform';
import { heartbeatOf } from './heartbeat-message.js';
import { Hosts } from './hosts.js';

/** The most heartbeats one statement records. */
const MAX_BATCH = 500;
/** How long a heartbeat waits for others to be written with: nothing beside the down-timeout (10 s). */
const BATCH_WINDOW_MS = 100;

/**
 * The agents' heartbeats, each recorded by one compute replica (queue group): what keeps a host UP.
 * Those that come within BATCH_WINDOW_MS of the first, or while a write is under way, are written
 * together, one statement for all (the newest of each host's): a thousand hosts' 500 a second in
 * about ten statements, not a thousand.
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
        this.schedule();
      },
    });
  }

  async onApplicationShutdown(): Promise<void> {
    this.subscription?.unsubscribe();
    while (this.writing) await this.writing;
  }

  /** A write of what waits, BATCH_WINDOW_MS from now, unless one is due already. */
  private schedule(): void {
    this.writing ??= new Promise((resolve) => setTimeout(resolve, BATCH_WINDOW_MS)).then(() => this.write());
  }

  /** Writes what waits (up to MAX_BATCH); what came meanwhile goes in the next write. */
  private async write(): Promise<void> {
    const beats = [...this.waiting.values()].slice(0, MAX_BATCH);
    for (const beat of beats) this.waiting.delete(beat.hostId);
    await this.failures.run(async () => {
      for (const refused of await this.hosts.recordHeartbeats(beats)) {
        // Malformed, or a retired host's: that host's line, not an outage.
        if (refused) this.logger.warn(`heartbeat dropped: ${refused.message}`);
      }
    });
    this.writing = undefined;
    if (this.waiting.size > 0) this.schedule();
  }
}
