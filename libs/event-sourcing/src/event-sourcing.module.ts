import {
  Global,
  Inject,
  Logger,
  Module,
  type BeforeApplicationShutdown,
  type DynamicModule,
  type OnApplicationBootstrap,
  type OnApplicationShutdown,
} from '@nestjs/common';
import type { NatsConnection } from '@nats-io/transport-node';
import type pg from 'pg';
import { createPool, EventRelay, EventStore } from '#libs/event-store';
import { HealthReports, NATS_CONNECTION, NATS_STREAM_REPLICAS, RecurringFailure } from '#libs/platform';
import type { DatabaseConfig } from './database-config.js';
import { migrateEventStore, type EventStoreDefinition } from './event-store-definition.js';
import { EventStoreMetrics } from './event-store-metrics.js';
import { Leaderships } from './leaderships.js';
import { ServiceConsumers } from './service-consumers.js';
import { PG_POOL } from './tokens.js';

/** Starts the service's relay once the application is up, and stops it before the pool closes. */
export class RelayLifecycle implements OnApplicationBootstrap, BeforeApplicationShutdown {
  constructor(readonly relay: EventRelay) {}

  onApplicationBootstrap(): void {
    this.relay.start();
  }

  async beforeApplicationShutdown(): Promise<void> {
    await this.relay.stop();
  }
}

/**
 * A service's event store: its schema migrated at start, its pool (checked by the service's
 * health), its EventStore with the inline projections, its relay publishing to JetStream, its
 * durable consumers of events (ServiceConsumers), what one replica at a time leads (Leaderships),
 * and the metrics of all of them.
 */
@Global()
@Module({})
export class EventSourcingModule implements OnApplicationShutdown {
  constructor(@Inject(PG_POOL) private readonly pool: pg.Pool) {}

  static forService(definition: EventStoreDefinition, database: DatabaseConfig): DynamicModule {
    return {
      module: EventSourcingModule,
      providers: [
        {
          provide: PG_POOL,
          inject: [HealthReports],
          useFactory: async (health: HealthReports) => {
            const pool = createPool(database.url, { schema: definition.service, ...database.limits, settings: database.sessionSettings });
            await migrateEventStore(pool, definition);
            health.addCheck('postgres', () => pool.query('SELECT 1'));
            return pool;
          },
        },
        {
          provide: EventStore,
          inject: [PG_POOL],
          useFactory: (pool: pg.Pool) => new EventStore(pool, definition.service, definition.projections),
        },
        {
          provide: ServiceConsumers,
          inject: [PG_POOL, EventStore, NATS_CONNECTION, NATS_STREAM_REPLICAS],
          useFactory: (pool: pg.Pool, store: EventStore, nats: NatsConnection, streamReplicas: number) =>
            new ServiceConsumers(pool, store, definition.service, nats, streamReplicas),
        },
        {
          provide: EventStoreMetrics,
          inject: [PG_POOL, EventStore, ServiceConsumers, NATS_CONNECTION],
          useFactory: (pool: pg.Pool, store: EventStore, consumers: ServiceConsumers, nats: NatsConnection) =>
            new EventStoreMetrics(pool, store, consumers, nats, definition.service),
        },
        {
          provide: Leaderships,
          inject: [PG_POOL, NATS_CONNECTION],
          useFactory: (pool: pg.Pool, nats: NatsConnection) => new Leaderships(pool, definition.service, database.leaderLeaseTimeoutMs, nats),
        },
        {
          provide: RelayLifecycle,
          inject: [EventStore, NATS_CONNECTION, Leaderships, NATS_STREAM_REPLICAS],
          useFactory: (store: EventStore, nats: NatsConnection, leaderships: Leaderships, streamReplicas: number) => {
            const logger = new Logger('relay');
            // PostgreSQL or NATS away: one line when publishing stops, one when it goes on.
            const failures = new RecurringFailure(logger, 'publishing events');
            return new RelayLifecycle(new EventRelay({ store, service: definition.service, nats, streamReplicas, logger, failures, leadership: leaderships.of('relay') }));
          },
        },
      ],
      exports: [PG_POOL, EventStore, ServiceConsumers, Leaderships, RelayLifecycle],
    };
  }

  async onApplicationShutdown(): Promise<void> {
    await this.pool.end();
  }
}
