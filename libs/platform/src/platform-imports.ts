import type { DynamicModule } from '@nestjs/common';
import { MessagingModule } from '#libs/messaging';
import type { EventStoreDefinition } from './event-store-definition.js';
import { EventSourcingModule } from './event-sourcing.module.js';
import { HealthModule } from './health.module.js';
import { NatsConnectionModule } from './nats-connection.module.js';
import { requireDatabaseUrl, type ServiceConfig } from './service-config.js';

/**
 * The modules every service is built on: NATS for events and requests, its health check,
 * and, for a service that keeps data, its event store in its own schema.
 */
export function platformImports(
  config: ServiceConfig,
  eventStore?: EventStoreDefinition,
): DynamicModule[] {
  const imports = [
    NatsConnectionModule.forService(config.service, config.natsUrl),
    MessagingModule.forRoot(config),
    HealthModule.forService(config.service),
  ];
  if (eventStore) {
    imports.push(EventSourcingModule.forService({ ...eventStore, databaseUrl: requireDatabaseUrl(config), limits: config.database }));
  }
  return imports;
}
