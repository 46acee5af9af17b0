import type { EventStoreDefinition } from '#libs/platform';

export const computeEventStore: EventStoreDefinition = {
  service: 'compute',
  migrations: [],
  projections: [],
};
