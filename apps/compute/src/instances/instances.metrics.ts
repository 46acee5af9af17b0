import { Logger, type OnApplicationShutdown } from '@nestjs/common';
import type pg from 'pg';
import type { InstanceKind } from '#libs/contracts';
import { readWithin } from '#libs/event-store';
import { histogram, SCRAPE_TIMEOUT_MS, ScrapeReading, scrapedGauge } from '#libs/metrics';

const instancesByStatus = scrapedGauge<'status' | 'kind'>({
  name: 'awan_instances',
  help: 'Instances by status and kind (VM, CONTAINER), DELETED included, from compute\'s read model.',
  labelNames: ['status', 'kind'],
});

const provisioning = histogram<'kind'>({
  name: 'awan_instance_provisioning_seconds',
  help: 'From an instance\'s create request (InstanceRequested) to its first RUNNING (InstanceStarted), by kind.',
  labelNames: ['kind'],
  // A container starts in about a second, a VM in a few; a slow image import takes minutes.
  buckets: [0.25, 0.5, 1, 2, 3, 5, 10, 20, 30, 60, 120, 300, 600],
});

/** The instances' figures: how many by status and kind (one query per scrape), and how long each took to provision. */
export class InstancesMetrics implements OnApplicationShutdown {
  private readonly logger = new Logger('instances');
  private readonly remove: () => void;

  constructor(private readonly pool: pg.Pool) {
    const counts = new ScrapeReading('compute-instances', () =>
      readWithin<{ status: string; kind: string; count: number }>(pool, SCRAPE_TIMEOUT_MS, 'SELECT status, kind, count(*)::integer AS count FROM instances GROUP BY status, kind'));
    this.remove = instancesByStatus.add(async (set) => (await counts.value())?.forEach((row) => set({ status: row.status, kind: row.kind }, row.count)));
  }

  /**
   * An instance created now runs (its InstanceStarted at `startedAt`): its time from the request.
   * Recorded once, by the replica whose answer appended the event; a figure not had is only logged.
   */
  async provisioned(instanceId: string, kind: InstanceKind, startedAt: string): Promise<void> {
    try {
      const { rows } = await this.pool.query<{ created_at: Date }>('SELECT created_at FROM instances WHERE id = $1', [instanceId]);
      if (rows[0]) provisioning.observe({ kind }, Math.max(0, Date.parse(startedAt) - rows[0].created_at.getTime()) / 1000);
    } catch (error) {
      this.logger.warn(`provisioning time of ${instanceId} not measured: ${(error as Error).message}`);
    }
  }

  onApplicationShutdown(): void {
    this.remove();
  }
}
