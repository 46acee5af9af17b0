import { Inject, Injectable, Logger, type OnApplicationBootstrap, type OnApplicationShutdown } from '@nestjs/common';
import { SYSTEM_ACTOR } from '#libs/contracts';
import { EventStore, handleCommand } from '#libs/event-store';
import { RecurringFailure } from '#libs/platform';
import { COMPUTE_CONFIG, type ComputeConfig } from '../compute.config.js';
import { instanceDecider, instanceStreamId } from '../instances/instance.decider.js';
import { SnapshotsRepository } from './snapshots.repository.js';

const WATCH_INTERVAL_MS = 5000;

/**
 * Fails a snapshot's create or delete that outlived its timeout, as the instance watcher fails a
 * stuck transition: the instance is free for other operations again. Every replica may run it;
 * the decider ignores an operation that ended meanwhile.
 */
@Injectable()
export class SnapshotWatchJob implements OnApplicationBootstrap, OnApplicationShutdown {
  private readonly logger = new Logger('snapshots');
  private readonly failures = new RecurringFailure(this.logger, 'snapshot watch');
  private timer: NodeJS.Timeout | undefined;

  constructor(
    private readonly snapshots: SnapshotsRepository,
    private readonly store: EventStore,
    @Inject(COMPUTE_CONFIG) private readonly config: ComputeConfig,
  ) {}

  onApplicationBootstrap(): void {
    this.timer = setInterval(() => void this.watch(), WATCH_INTERVAL_MS);
  }

  onApplicationShutdown(): void {
    clearInterval(this.timer);
  }

  private watch(): Promise<void> {
    return this.failures.run(async () => {
      for (const stuck of await this.snapshots.stuck(this.config.snapshotTimeoutMs)) {
        const metadata = { correlationId: `snapshot-timeout-${stuck.instanceId}`, causationId: null, actor: SYSTEM_ACTOR };
        const reason = `timed out while ${stuck.status}`;
        const { events } = await handleCommand(this.store, instanceStreamId(stuck.instanceId), instanceDecider, { type: 'FailOperation', requestVersion: stuck.operationVersion, reason }, metadata);
        if (events.length > 0) this.logger.warn(`a snapshot of instance ${stuck.instanceId} failed: it ${reason}`);
      }
    });
  }
}
