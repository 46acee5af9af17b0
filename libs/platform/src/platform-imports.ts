import type { DynamicModule } from '@nestjs/common';
import { MessagingModule } from '#libs/messaging';
import { HealthModule } from './health.module.js';
import { MetricsModule } from './metrics.module.js';
import { NatsConnectionModule } from './nats-connection.module.js';
import type { ServiceConfig } from './service-config.js';
import { TracingModule } from './tracing.module.js';

/**
 * The modules every service is built on: NATS for events and requests, its health check on
 * `<service>.health`, or on `healthSubject` (a host agent's is in its own subjects, `agent.<hostId>.health`),
 * its metrics, and, where it traces, the flush of its last spans as it stops.
 */
export function platformImports(config: ServiceConfig, healthSubject?: string): DynamicModule[] {
  return [
    NatsConnectionModule.forService(config.service, config),
    MessagingModule.forRoot(config),
    HealthModule.forService(config.service, healthSubject),
    MetricsModule.forService(config),
    ...(config.tracing ? [{ module: TracingModule }] : []),
  ];
}
