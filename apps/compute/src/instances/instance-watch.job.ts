import { Inject, Injectable, Logger, type OnApplicationBootstrap, type OnApplicationShutdown } from '@nestjs/common';
import { RecurringFailure } from '#libs/platform';
import { COMPUTE_CONFIG, type ComputeConfig } from '../compute.config.js';
import { InstanceWatcher } from './instance-watcher.js';

const WATCH_INTERVAL_MS = 1000;

/**
 * The watcher's rounds, every second in every replica, not led (Leaderships; the host judge is):
 * each step is idempotent, the instance's decider's at the version decided on, or a reservation's
 * one DELETE … RETURNING, so two replicas at once change nothing twice.
 */
@Injectable()
export class InstanceWatchJob implements OnApplicationBootstrap, OnApplicationShutdown {
  private readonly logger = new Logger('instances');
  private readonly failures = new RecurringFailure(this.logger, 'instance watch');
  private timer: NodeJS.Timeout | undefined;

  constructor(
    private readonly watcher: InstanceWatcher,
    @Inject(COMPUTE_CONFIG) private readonly config: ComputeConfig,
  ) {}

  onApplicationBootstrap(): void {
    this.timer = setInterval(() => void this.watch(), WATCH_INTERVAL_MS);
  }

  onApplicationShutdown(): void {
    clearInterval(this.timer);
  }

  /** What it decides (an instance failed, asked to move) is logged as the instance's facts (InstanceFacts). */
  private watch(): Promise<void> {
    return this.failures.run(async () => {
      await this.watcher.timeOutStuck();
      for (const id of await this.watcher.sweepReservations()) this.logger.log(`released the reservation of instance ${id}`);
      await this.watcher.evacuateDownHosts(this.config.hostDownTimeoutMs);
      await this.watcher.drainMaintenanceHosts();
    });
  }
}
