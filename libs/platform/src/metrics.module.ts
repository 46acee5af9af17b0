import { Controller, Get, Inject, Module, Res, type DynamicModule, type OnApplicationShutdown } from '@nestjs/common';
import type { NatsConnection } from '@nats-io/transport-node';
import { natsReconnects } from '#libs/messaging';
import { metricsRegistry, setUpProcessMetrics } from '#libs/metrics';
import type { ServiceConfig } from './service-config.js';
import { NATS_CONNECTION } from './tokens.js';

/** `GET /metrics`: the process's registry in Prometheus's text format, beside `/health` on the service's port. */
@Controller()
class MetricsController {
  @Get('metrics')
  metrics(@Res({ passthrough: true }) response: { setHeader(name: string, value: string): unknown }): Promise<string> {
    response.setHeader('content-type', metricsRegistry.contentType);
    return metricsRegistry.metrics();
  }
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

/**
 * A service's metrics (README, Metrics): its registry named after it, Node's default metrics, and
 * `GET /metrics` on its health port. With METRICS=off it serves none and measures no requests.
 */
@Module({})
export class MetricsModule {
  static forService(config: ServiceConfig): DynamicModule {
    setUpProcessMetrics(config.service, { enabled: config.metrics });
    if (!config.metrics) return { module: MetricsModule };
    return { module: MetricsModule, controllers: [MetricsController], providers: [EventConnectionReconnects] };
  }
}
