import { Inject, Injectable, Logger, type OnApplicationBootstrap, type OnApplicationShutdown } from '@nestjs/common';
import { RecurringFailure } from '#libs/platform';
import { COMPUTE_CONFIG, type ComputeConfig } from '../compute.config.js';
import { Hosts } from './hosts.js';

/**
 * Every replica looks for silent hosts. A host is only judged by a replica that has itself been
 * able to record heartbeats for a whole down-timeout: after its own start or a database outage,
 * silence may be compute's, not the host's.
 */
@Injectable()
export class HostDownCheckJob implements OnApplicationBootstrap, OnApplicationShutdown {
  private readonly logger = new Logger('hosts');
  private readonly failures = new RecurringFailure(this.logger, 'down check');
  private readonly downTimeoutMs: number;
  private timer: NodeJS.Timeout | undefined;
  /** Since when this replica's down checks have succeeded without a break. */
  private healthySince = Date.now();

  constructor(
    private readonly hosts: Hosts,
    @Inject(COMPUTE_CONFIG) config: ComputeConfig,
  ) {
    this.downTimeoutMs = config.hostDownTimeoutMs;
  }

  onApplicationBootstrap(): void {
    this.timer = setInterval(() => void this.check(), Math.min(1000, this.downTimeoutMs / 4));
  }

  onApplicationShutdown(): void {
    clearInterval(this.timer);
  }

  private async check(): Promise<void> {
    try {
      if (Date.now() - this.healthySince < this.downTimeoutMs) {
        // Not judging yet, but the database must answer for the time to count.
        await this.hosts.list();
      } else {
        // Each host marked DOWN is logged as its fact (HostFacts).
        for (const host of await this.hosts.markSilentHostsDown(this.downTimeoutMs)) {
          if (!host.fencesInTime) {
            this.logger.error(`host ${host.id} does not fence itself within ${this.downTimeoutMs} ms (FENCE_TIMEOUT_MS): its instances are not restarted elsewhere`);
          }
        }
      }
      this.failures.succeeded();
    } catch (error) {
      this.healthySince = Date.now();
      this.failures.failed(error);
    }
  }
}
