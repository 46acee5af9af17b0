import { Inject, Injectable, Logger, type OnApplicationBootstrap, type OnApplicationShutdown } from '@nestjs/common';
import { SYSTEM_ACTOR } from '#libs/contracts';
import { Leaderships, type LedRounds } from '#libs/event-sourcing';
import { COMPUTE_CONFIG, type ComputeConfig } from '../compute.config.js';
import { BackupLifecycle } from './backup-lifecycle.js';
import { Backups } from './backups.js';

const WATCH_INTERVAL_MS = 5000;

/**
 * Compute's backup jobs, on the replica that leads compute's `jobs`: the schedules due (each day's
 * run claimed once besides, with the backup it starts, should a replica that lost the lead still
 * finish a round), and the backups stuck past their timeout (failed by their deciders, which
 * ignore what ended meanwhile).
 */
@Injectable()
export class BackupJobs implements OnApplicationBootstrap, OnApplicationShutdown {
  private readonly logger = new Logger('backups');
  private readonly rounds: LedRounds[];

  constructor(
    private readonly backups: Backups,
    private readonly lifecycle: BackupLifecycle,
    @Inject(COMPUTE_CONFIG) private readonly config: ComputeConfig,
    leaderships: Leaderships,
  ) {
    this.rounds = [
      leaderships.rounds('jobs', config.backupScheduleIntervalMs, this.logger, 'backup schedules', () => this.runSchedules()),
      leaderships.rounds('jobs', WATCH_INTERVAL_MS, this.logger, 'backup watch', () => this.lifecycle.watch(this.config.backupTimeoutMs)),
    ];
  }

  onApplicationBootstrap(): void {
    for (const rounds of this.rounds) rounds.start();
  }

  async onApplicationShutdown(): Promise<void> {
    await Promise.all(this.rounds.map((rounds) => rounds.stop()));
  }

  private async runSchedules(): Promise<void> {
    const now = new Date();
    const started = await this.backups.runDue(now, { correlationId: `backup-schedules-${now.toISOString()}`, causationId: null, actor: SYSTEM_ACTOR });
    if (started.length > 0) this.logger.log(`started ${started.length} scheduled backups`);
  }
}
