import { Inject, Injectable, Logger, type OnApplicationBootstrap, type OnApplicationShutdown } from '@nestjs/common';
import { SYSTEM_ACTOR } from '#libs/contracts';
import { Leaderships, type LedRounds } from '#libs/event-sourcing';
import { EventStore, handleCommand } from '#libs/event-store';
import { COMPUTE_CONFIG, type ComputeConfig } from '../compute.config.js';
import { instanceDecider, instanceStreamId } from '../instances/instance.decider.js';
import { SnapshotsRepository } from './snapshots.repository.js';

const WATCH_INTERVAL_MS = 5000;

/**
 * Fails a snapshot's create or delete that outlived its timeout, as the instance watcher fails a
 * stuck transition: the instance is free for other operations again. The replica that leads
 * compute's `jobs` runs it; the decider ignores an operation that ended meanwhile.
 */
@Injectable()
export class SnapshotWatchJob implements OnApplicationBootstrap, OnApplicationShutdown {
  private readonly logger = new Logger('snapshots');
  private readonly rounds: LedRounds;

  constructor(
    private readonly snapshots: SnapshotsRepository,
    private readonly store: EventStore,
    @Inject(COMPUTE_CONFIG) private readonly config: ComputeConfig,
    leaderships: Leaderships,
  ) {
    this.rounds = leaderships.rounds('jobs', WATCH_INTERVAL_MS, this.logger, 'snapshot watch', () => this.watch());
  }

  onApplicationBootstrap(): void {
    this.rounds.start();
  }

  onApplicationShutdown(): Promise<void> {
    return this.rounds.stop();
  }

  private async watch(): Promise<void> {
    for (const stuck of await this.snapshots.stuck(this.config.snapshotTimeoutMs)) {
      const metadata = { correlationId: `snapshot-timeout-${stuck.instanceId}`, causationId: null, actor: SYSTEM_ACTOR };
      const reason = `timed out while ${stuck.status}`;
      const { events } = await handleCommand(this.store, instanceStreamId(stuck.instanceId), instanceDecider, { type: 'FailOperation', requestVersion: stuck.operationVersion, reason }, metadata);
      if (events.length > 0) this.logger.warn(`a snapshot of instance ${stuck.instanceId} failed: it ${reason}`);
    }
  }
}
