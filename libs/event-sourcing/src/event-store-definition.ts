import type pg from 'pg';
import { eventStoreMigrations, migrate, type Migration, type Projection } from '#libs/event-store';

/**
 * What a service keeps in its event store: the schema and stream it owns, its migrations and
 * inline projections. The service's module and the operator scripts (migrate, rebuild) share it.
 */
export interface EventStoreDefinition {
  /** Names the schema, the JetStream stream and the event subjects: `compute` → schema compute, stream COMPUTE. */
  service: string;
  migrations: Migration[];
  projections: Projection[];
}

/** Brings a service's schema up to date: the event store's tables, then its own. */
export function migrateEventStore(pool: pg.Pool, definition: EventStoreDefinition): Promise<string[]> {
  return migrate(pool, definition.service, [...eventStoreMigrations, ...definition.migrations]);
}
