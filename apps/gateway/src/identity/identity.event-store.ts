import { type EventStoreDefinition } from '#libs/event-sourcing';
import { identityMigrations } from './identity.migrations.js';
import { identityProjection } from './identity.projection.js';

/** The gateway owns identity (accounts, API keys): its schema and stream go by that name. */
export const identityEventStore: EventStoreDefinition = {
  service: 'identity',
  migrations: identityMigrations,
  projections: [identityProjection],
};
