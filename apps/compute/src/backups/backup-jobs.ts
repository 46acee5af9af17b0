import { Inject, Injectable, Logger, type OnApplicationBootstrap, type OnApplicationShutdown } from '@nestjs/common';
import { SYSTEM_ACTOR } from '#libs/contracts';
import { COMPUTE_CONFIG, type ComputeConfig } from '../compute.config.js';
import { BackupLifecycle } from './backup-lifecycle.js';
import { Backups } from './backups.js';

const WATCH_INTERVAL_MS = 5000;

/**
 * Compute's backup jobs, on every replica: the schedules due (each day's run claimed once across
 * replicas, with the backup it starts), and the backups stuck past their timeout.
 */
@Injectable()
export class BackupJobs implements OnApplicationBootstrap, OnApplicationShutdown {
  private readonly logger = new Logger('backups');
  private timers: NodeJS.Timeout[] = [];

  constructor(
    private readonly backups: Backups,
    private readonly lifecycle: BackupLifecycle,
    @Inject(COMPUTE_CONFIG) private readonly config: ComputeConfig,
  ) {}

  onApplicationBootstrap(): void {
    this.timers = [
      setInterval(() => void this.runSchedules(), this.config.backupScheduleIntervalMs),
      setInterval(() => void this.watch(), WATCH_INTERVAL_MS),
    ];
  }

  onApplicationShutdown(): void {
    for (const timer of this.timers) clearInterval(timer);
  }

  private async runSchedules(): Promise<void> {
    const now = new Date();
    try {
      const started = await this.backups.runDue(now, { correlationId: `backup-schedules-${now.toISOString()}`, causationId: null, actor: SYSTEM_ACTOR });
      if (started.length > 0) this.logger.log(`started ${started.length} scheduled backups`);
    } catch (error) {
      this.logger.error(`backup schedules failed: ${(error as Error).message}`);
    }
  }

  private async watch(): Promise<void> {
    try {
      await this.lifecycle.watch(this.config.backupTimeoutMs);
    } catch (error) {
      this.logger.error(`backup watch failed: ${(error as Error).message}`);
    }
  }
}
