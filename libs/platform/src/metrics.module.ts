import { createHash, timingSafeEqual } from 'node:crypto';
import { Controller, Get, Inject, Module, Req, Res, type DynamicModule, type OnApplicationShutdown } from '@nestjs/common';
import type { NatsConnection } from '@nats-io/transport-node';
import { natsReconnects } from '#libs/messaging';
import { metricsRegistry, scrapedGauge, setUpProcessMetrics } from '#libs/metrics';
import { checkHealth, HealthReports } from './health.module.js';
import type { ServiceConfig } from './service-config.js';
import { NATS_CONNECTION } from './tokens.js';

const digest = (text: string) => createHash('sha256').update(text).digest();

/**
 * `GET /metrics`: the process's registry in Prometheus's text format, beside `/health` on the
 * service's port; with `token` (METRICS_TOKEN), only to a request bearing it, compared in constant time.
 */
function metricsController(token: string | undefined) {
  const expected = token === undefined ? undefined : digest(`Bearer ${token}`);
  @Controller()
  class MetricsController {
    @Get('metrics')
    metrics(
      @Req() request: { headers: { authorization?: string } },
      @Res({ passthrough: true }) response: { setHeader(name: string, value: string): unknown; status(code: number): unknown },
    ): Promise<string> | string {
      if (expected && !timingSafeEqual(digest(request.headers.authorization ?? ''), expected)) {
        response.status(401);
        response.setHeader('www-authenticate', 'Bearer');
        return 'unauthorized: /metrics answers Authorization: Bearer <METRICS_TOKEN>\n';
      }
      response.setHeader('content-type', metricsRegistry.contentType);
      return metricsRegistry.metrics();
    }
  }
  return MetricsController;
}

/** Counts the reconnects of the process's own NATS connection (events, JetStream). */
class EventConnectionReconnects implements OnApplicationShutdown {
  private stopped = false;

  constructor(@Inject(NATS_CONNECTION) nats: NatsConnection) {
    void (async () => {
      for await (const status of nats.status()) {
        if (this.stopped) return;
        if (status.type === 'reconnect') natsReconnects.inc({ connection: 'events' });
      }
    })();
  }

  onApplicationShutdown(): void {
    this.stopped = true;
  }
}

const healthy = scrapedGauge({ name: 'awan_service_healthy', help: 'Whether the service is healthy (1) or degraded (0), as GET /health answers 200 or 503.' });
const checkUp = scrapedGauge<'check'>({
  name: 'awan_health_check_up',
  help: "Each connection the service's health checks (nats, postgres): up (1) or down (0).",
  labelNames: ['check'],
});

/**
 * The service's health when scraped, checked as GET /health checks it (each check bounded there):
 * an alert needs no probe of its own.
 */
class HealthMetrics implements OnApplicationShutdown {
  private readonly removals: (() => void)[];

  constructor(service: string, nats: NatsConnection, reports: HealthReports) {
    let checking: ReturnType<typeof checkHealth> | undefined;
    // Both gauges of one scrape share one check.
    const health = () => (checking ??= checkHealth(service, nats, reports).finally(() => (checking = undefined)));
    this.removals = [
      healthy.add(async (set) => set({}, (await health()).status === 'ok' ? 1 : 0)),
      checkUp.add(async (set) => Object.entries((await health()).checks).forEach(([check, status]) => set({ check }, status === 'up' ? 1 : 0))),
    ];
  }

  onApplicationShutdown(): void {
    for (const remove of this.removals) remove();
  }
}

/**
 * A service's metrics (README, Metrics): its registry named after it, Node's default metrics, and
 * `GET /metrics` on its health port. With METRICS=off it serves none and measures no requests.
 */
@Module({})
export class MetricsModule {
  static forService(config: ServiceConfig): DynamicModule {
    setUpProcessMetrics(config.service, { enabled: config.metrics });
    if (!config.metrics) return { module: MetricsModule };
    return {
      module: MetricsModule,
      controllers: [metricsController(config.metricsToken)],
      providers: [
        EventConnectionReconnects,
        {
          provide: HealthMetrics,
          inject: [NATS_CONNECTION, HealthReports],
          useFactory: (nats: NatsConnection, reports: HealthReports) => new HealthMetrics(config.service, nats, reports),
        },
      ],
    };
  }
}
