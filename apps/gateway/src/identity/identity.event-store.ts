import { type EventStoreDefinition } from '#libs/event-sourcing';
import { consoleMigrations } from '../consoles/console-tokens.js';
import { peopleMigrations } from '../people/people.migrations.js';
import { identityMigrations } from './identity.migrations.js';
import { identityProjection } from './identity.projection.js';

/** The gateway owns identity (accounts, API keys): its schema and stream go by that name. */
export const identityEventStore: EventStoreDefinition = {
  service: 'identity',
  // Its schema also holds the consoles' tokens (not events: each lives a minute), and people's
  // credentials and sessions (not events: no password's hash is published).
  migrations: [...identityMigrations, ...consoleMigrations, ...peopleMigrations],
  projections: [identityProjection],
};
