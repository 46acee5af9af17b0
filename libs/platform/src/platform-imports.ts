import type { DynamicModule } from '@nestjs/common';
import { MessagingModule } from '#libs/messaging';
import { HealthModule } from './health.module.js';
import { NatsConnectionModule } from './nats-connection.module.js';
import type { ServiceConfig } from './service-config.js';

/** The modules every service is built on: NATS for events and requests, and its health check. */
export function platformImports(config: ServiceConfig): DynamicModule[] {
  return [
    NatsConnectionModule.forService(config.service, config.natsUrl),
    MessagingModule.forRoot(config),
    HealthModule.forService(config.service),
  ];
}
