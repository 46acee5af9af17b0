import { Inject, Injectable, Logger, type OnApplicationBootstrap, type OnApplicationShutdown } from '@nestjs/common';
import { Leaderships, type LedRounds } from '#libs/event-sourcing';
import { COMPUTE_CONFIG, type ComputeConfig } from '../compute.config.js';
import { InstanceProvisioner } from './instance-provisioner.js';
import { InstanceWatcher } from './instance-watcher.js';

const WATCH_INTERVAL_MS = 1000;

/**
 * The watcher's rounds, every second, on the one replica that leads compute's `jobs`. Each step is
 * idempotent besides (the instance's decider's at the version decided on, or a reservation's one
 * DELETE … RETURNING): a round a replica began before it lost the lead changes nothing twice.
 */
@Injectable()
export class InstanceWatchJob implements OnApplicationBootstrap, OnApplicationShutdown {
  private readonly logger = new Logger('instances');
  private readonly rounds: LedRounds;
  private deletingLeftovers: Promise<unknown> | null = null;

  constructor(
    private readonly watcher: InstanceWatcher,
    private readonly provisioner: InstanceProvisioner,
    @Inject(COMPUTE_CONFIG) private readonly config: ComputeConfig,
    leaderships: Leaderships,
  ) {
    this.rounds = leaderships.rounds('jobs', WATCH_INTERVAL_MS, this.logger, 'instance watch', () => this.watch());
  }

  onApplicationBootstrap(): void {
    this.rounds.start();
  }

  async onApplicationShutdown(): Promise<void> {
    await this.rounds.stop();
    await this.deletingLeftovers;
  }

  /** What it decides (an instance failed, asked to move) is logged as the instance's facts (InstanceFacts). */
  private async watch(): Promise<void> {
    await this.watcher.timeOutStuck();
    for (const id of await this.watcher.sweepReservations()) this.logger.log(`released the reservation of instance ${id}`);
    await this.watcher.evacuateDownHosts(this.config.hostDownTimeoutMs);
    await this.watcher.drainMaintenanceHosts();
    // Apart from the round: a host's slow answer must not hold back timeouts and evacuations.
    if (!this.deletingLeftovers) {
      this.deletingLeftovers = this.provisioner.deleteLeftovers()
        .then((deleted) => deleted > 0 && this.logger.log(`deleted ${deleted} instances left on hosts that are back`))
        .catch((error: Error) => this.logger.warn(`leftovers on hosts that are back not deleted: ${error.message}`))
        .finally(() => (this.deletingLeftovers = null));
    }
  }
}
