import { Inject, Injectable, Logger, type OnApplicationBootstrap, type OnApplicationShutdown } from '@nestjs/common';
import { COMPUTE_CONFIG, type ComputeConfig } from '../compute.config.js';
import { InstanceWatcher } from './instance-watcher.js';

const WATCH_INTERVAL_MS = 1000;

/** The watcher's rounds, every second in every replica: each of its steps is idempotent. */
@Injectable()
export class InstanceWatchJob implements OnApplicationBootstrap, OnApplicationShutdown {
  private readonly logger = new Logger('instances');
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

  private async watch(): Promise<void> {
    try {
      for (const id of await this.watcher.timeOutStuck()) this.logger.warn(`instance ${id} failed: it outlived its transition timeout`);
      for (const id of await this.watcher.sweepReservations()) this.logger.log(`released the reservation of instance ${id}`);
      for (const id of await this.watcher.evacuateDownHosts(this.config.hostDownTimeoutMs)) this.logger.warn(`instance ${id} restarts on another host: its host is DOWN`);
      for (const id of await this.watcher.drainMaintenanceHosts()) this.logger.log(`instance ${id} moves off its host, which is in maintenance`);
    } catch (error) {
      this.logger.error(`instance watch failed: ${(error as Error).message}`);
    }
  }
}
