import type { EventStoreDefinition } from '#libs/platform';

/** The gateway owns identity (accounts, API keys): its schema and stream go by that name. */
export const identityEventStore: EventStoreDefinition = {
  service: 'identity',
  migrations: [],
  projections: [],
};
