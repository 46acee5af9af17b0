import { Inject, Injectable, Logger, type OnApplicationBootstrap, type OnApplicationShutdown } from '@nestjs/common';
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
    if (Date.now() - this.healthySince < this.downTimeoutMs) {
      // Not judging yet, but the database must answer for the time to count.
      await this.hosts.list().catch((error: Error) => this.unhealthy(error));
      return;
    }
    try {
      for (const host of await this.hosts.markSilentHostsDown(this.downTimeoutMs)) {
        this.logger.warn(`host ${host.id} is DOWN: no heartbeat for ${this.downTimeoutMs / 1000} s`);
        if (!host.fencesInTime) {
          this.logger.error(`host ${host.id} does not fence itself within ${this.downTimeoutMs} ms (FENCE_TIMEOUT_MS): its instances are not restarted elsewhere`);
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
}
