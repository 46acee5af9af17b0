import type { OnApplicationShutdown } from '@nestjs/common';
import { ScrapeReading, scrapedGauge } from '#libs/metrics';
import type { PoolsRepository } from './pools.repository.js';

const size = scrapedGauge<'pool' | 'family' | 'region'>({
  name: 'awan_ip_pool_size',
  help: 'What an active IP pool can hand out: addresses (IPv4, one-address IPv6) or /64 prefixes, excluded ones aside.',
  labelNames: ['pool', 'family', 'region'],
});
const allocated = scrapedGauge<'pool' | 'family' | 'region'>({
  name: 'awan_ip_pool_allocated',
  help: 'Addresses (or prefixes) of an active IP pool held by an account now; awan_ip_pool_allocated / awan_ip_pool_size is its utilisation.',
  labelNames: ['pool', 'family', 'region'],
});

/** Each active pool's size and what of it is allocated, as the admin's pool list shows them: one query per scrape. */
export class PoolsMetrics implements OnApplicationShutdown {
  private readonly removals: (() => void)[];

  constructor(pools: PoolsRepository) {
    const views = new ScrapeReading('network-pools', () => pools.views({}));
    const labels = (view: { id: string; family: string; regionId: string }) => ({ pool: view.id, family: view.family, region: view.regionId });
    this.removals = [
      size.add(async (set) => (await views.value())?.forEach((view) => set(labels(view), Number(view.usable)))),
      allocated.add(async (set) => (await views.value())?.forEach((view) => set(labels(view), view.allocated))),
    ];
  }

  onApplicationShutdown(): void {
    for (const remove of this.removals) remove();
  }
}
