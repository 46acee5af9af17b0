import type { OnApplicationShutdown } from '@nestjs/common';
import type pg from 'pg';
import { readWithin } from '#libs/event-store';
import { SCRAPE_TIMEOUT_MS, ScrapeReading, scrapedGauge } from '#libs/metrics';

interface HostRow {
  id: string;
  status: string;
  heartbeat_age: number | null;
  vcpus: number | null;
  memory_mb: number | null;
  disk_gb: number | null;
  reserved_vcpus: number | null;
  reserved_memory_mb: number | null;
  reserved_disk_gb: number | null;
}

/** Every status a host is counted in, each shown (0 when none), so an alert on DOWN has a series to compare. */
const STATUSES = ['UP', 'DOWN', 'MAINTENANCE', 'RETIRED'] as const;
const RESOURCES = [
  ['vcpus', 'vcpus', 'reserved_vcpus'],
  ['memory_mb', 'memory_mb', 'reserved_memory_mb'],
  ['disk_gb', 'disk_gb', 'reserved_disk_gb'],
] as const;

const hostsByStatus = scrapedGauge<'status'>({ name: 'awan_hosts', help: 'Hosts by status (a retired host counts as RETIRED).', labelNames: ['status'] });
const heartbeatAge = scrapedGauge<'host'>({
  name: 'awan_host_heartbeat_age_seconds',
  help: "Seconds since the host's last heartbeat reached compute (past HOST_DOWN_TIMEOUT_MS it is DOWN).",
  labelNames: ['host'],
});
const capacity = scrapedGauge<'host' | 'resource'>({
  name: 'awan_host_capacity',
  help: 'What the scheduler may place on the host: its capacity times its overcommit ratio (vcpus, memory_mb, disk_gb).',
  labelNames: ['host', 'resource'],
});
const allocated = scrapedGauge<'host' | 'resource'>({
  name: 'awan_host_allocated',
  help: "What the scheduler has reserved on the host for its instances' plans (vcpus, memory_mb, disk_gb).",
  labelNames: ['host', 'resource'],
});

/** The hosts' figures from compute's read models, one query per scrape for every host (not one per host). */
export class HostsMetrics implements OnApplicationShutdown {
  private readonly removals: (() => void)[];

  constructor(pool: pg.Pool) {
    const hosts = new ScrapeReading('compute-hosts', () =>
      readWithin<HostRow>(pool, SCRAPE_TIMEOUT_MS, `
        SELECT h.id, CASE WHEN h.retired_at IS NOT NULL THEN 'RETIRED' ELSE h.status END AS status,
               extract(epoch FROM now() - r.last_heartbeat_at)::float8 AS heartbeat_age,
               floor(r.vcpus * r.cpu_ratio)::integer AS vcpus, floor(r.memory_mb * r.memory_ratio)::integer AS memory_mb,
               floor(r.disk_gb * r.disk_ratio)::integer AS disk_gb, r.reserved_vcpus, r.reserved_memory_mb, r.reserved_disk_gb
        FROM hosts h LEFT JOIN host_resources r ON r.host_id = h.id`),
    );
    /** The hosts still in service that have heartbeated at least once: those with figures of their own. */
    const live = async () => ((await hosts.value()) ?? []).filter((host) => host.status !== 'RETIRED' && host.heartbeat_age !== null);
    this.removals = [
      hostsByStatus.add(async (set) => {
        const rows = await hosts.value();
        if (rows) for (const status of STATUSES) set({ status }, rows.filter((host) => host.status === status).length);
      }),
      heartbeatAge.add(async (set) => (await live()).forEach((host) => set({ host: host.id }, Math.max(0, host.heartbeat_age!)))),
      capacity.add(async (set) => {
        for (const host of await live()) for (const [resource, column] of RESOURCES) set({ host: host.id, resource }, host[column]!);
      }),
      allocated.add(async (set) => {
        for (const host of await live()) for (const [resource, , column] of RESOURCES) set({ host: host.id, resource }, host[column]!);
      }),
    ];
  }

  onApplicationShutdown(): void {
    for (const remove of this.removals) remove();
  }
}
