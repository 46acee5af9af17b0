import type { EventStoreDefinition } from '#libs/platform';

export const networkEventStore: EventStoreDefinition = {
  service: 'network',
  migrations: [],
  projections: [],
};
