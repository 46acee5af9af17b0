import { Inject, Injectable, Logger, type OnApplicationBootstrap, type OnApplicationShutdown } from '@nestjs/common';
import { SYSTEM_ACTOR } from '#libs/contracts';
import { RecurringFailure } from '#libs/platform';
import { COMPUTE_CONFIG, type ComputeConfig } from '../compute.config.js';
import { BackupLifecycle } from './backup-lifecycle.js';
import { Backups } from './backups.js';

const WATCH_INTERVAL_MS = 5000;

/**
 * Compute's backup jobs, on every replica, not led (Leaderships): the schedules due (each day's run
 * claimed once across replicas, with the backup it starts), and the backups stuck past their
 * timeout (failed by their deciders, which ignore what ended meanwhile).
 */
@Injectable()
export class BackupJobs implements OnApplicationBootstrap, OnApplicationShutdown {
  private readonly logger = new Logger('backups');
  private readonly scheduleFailures = new RecurringFailure(this.logger, 'backup schedules');
  private readonly watchFailures = new RecurringFailure(this.logger, 'backup watch');
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

  private runSchedules(): Promise<void> {
    const now = new Date();
    return this.scheduleFailures.run(async () => {
      const started = await this.backups.runDue(now, { correlationId: `backup-schedules-${now.toISOString()}`, causationId: null, actor: SYSTEM_ACTOR });
      if (started.length > 0) this.logger.log(`started ${started.length} scheduled backups`);
    });
  }

  private watch(): Promise<void> {
    return this.watchFailures.run(() => this.lifecycle.watch(this.config.backupTimeoutMs));
  }
}
