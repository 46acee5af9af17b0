import {
  Global,
  Inject,
  Module,
  type BeforeApplicationShutdown,
  type DynamicModule,
  type OnApplicationBootstrap,
  type OnApplicationShutdown,
} from '@nestjs/common';
import type { NatsConnection } from '@nats-io/transport-node';
import type pg from 'pg';
import { createPool, EventRelay, EventStore, type PoolLimits } from '#libs/event-store';
import { migrateEventStore, type EventStoreDefinition } from './event-store-definition.js';
import { NATS_CONNECTION, PG_POOL } from './tokens.js';

export interface EventSourcingOptions extends EventStoreDefinition {
  databaseUrl: string;
  limits: PoolLimits;
}

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
 * A service's event store: its schema migrated at start, its pool, its EventStore with the
 * inline projections, and its relay publishing to JetStream.
 */
@Global()
@Module({})
export class EventSourcingModule implements OnApplicationShutdown {
  constructor(@Inject(PG_POOL) private readonly pool: pg.Pool) {}

  static forService(options: EventSourcingOptions): DynamicModule {
    return {
      module: EventSourcingModule,
      providers: [
        {
          provide: PG_POOL,
          useFactory: async () => {
            const pool = createPool(options.databaseUrl, { schema: options.service, ...options.limits });
            await migrateEventStore(pool, options);
            return pool;
          },
        },
        {
          provide: EventStore,
          inject: [PG_POOL],
          useFactory: (pool: pg.Pool) => new EventStore(pool, options.service, options.projections),
        },
        {
          provide: RelayLifecycle,
          inject: [EventStore, NATS_CONNECTION],
          useFactory: (store: EventStore, nats: NatsConnection) =>
            new RelayLifecycle(new EventRelay({ store, service: options.service, nats })),
        },
      ],
      exports: [PG_POOL, EventStore, RelayLifecycle],
    };
  }

  async onApplicationShutdown(): Promise<void> {
    await this.pool.end();
  }
}
