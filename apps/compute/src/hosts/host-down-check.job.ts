import { Inject, Injectable, Logger, type BeforeApplicationShutdown, type OnApplicationBootstrap } from '@nestjs/common';
import type { Leadership } from '#libs/event-store';
import { Leaderships, type LedRounds } from '#libs/event-sourcing';
import { COMPUTE_CONFIG, type ComputeConfig } from '../compute.config.js';
import { Hosts } from './hosts.js';

/**
 * The host judge: one compute replica at a time (its Leadership, `host-judge`) marks silent hosts
 * DOWN, and only once it has led, with PostgreSQL and NATS, for a whole down-timeout without a
 * failed round. Silence is then the host's, not compute's: after the judge's start, a database
 * outage or NATS lost (heartbeats then reach no one, or nowhere that records them), a host's last
 * heartbeat is old through no fault of its own, and a host judged DOWN that did not fence itself
 * would have its instances run twice. One judge means one replica's view counts, never the worst one's.
 */
@Injectable()
export class HostDownCheckJob implements OnApplicationBootstrap, BeforeApplicationShutdown {
  private readonly logger = new Logger('hosts');
  private readonly downTimeoutMs: number;
  private readonly leadership: Leadership;
  private readonly rounds: LedRounds;
  /** Since when this replica's rounds have succeeded without a break (a failed lead check costs the lead itself, and `since` with it). */
  private healthySince = Date.now();

  constructor(
    private readonly hosts: Hosts,
    @Inject(COMPUTE_CONFIG) config: ComputeConfig,
    leaderships: Leaderships,
  ) {
    this.downTimeoutMs = config.hostDownTimeoutMs;
    this.leadership = leaderships.of('host-judge');
    this.rounds = leaderships.rounds('host-judge', Math.min(1000, this.downTimeoutMs / 4), this.logger, 'down check', () => this.judge());
  }

  onApplicationBootstrap(): void {
    this.rounds.start();
  }

  async beforeApplicationShutdown(): Promise<void> {
    await this.rounds.stop();
    await this.leadership.stop();
  }

  /** A round of the leader's: it judges once it has led and succeeded for a whole down-timeout. */
  private async judge(): Promise<void> {
    try {
      if (Date.now() - Math.max(this.leadership.since, this.healthySince) < this.downTimeoutMs) return;
      // Each host marked DOWN is logged as its fact (HostFacts).
      for (const host of await this.hosts.markSilentHostsDown(this.downTimeoutMs)) {
        if (!host.fencesInTime) {
          this.logger.error(`host ${host.id} does not fence itself within ${this.downTimeoutMs} ms (FENCE_TIMEOUT_MS): its instances are not restarted elsewhere`);
        }
      }
    } catch (error) {
      this.healthySince = Date.now();
      throw error;
    }
  }
}
