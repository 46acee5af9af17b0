import type { EventStoreDefinition } from '#libs/platform';

export const billingEventStore: EventStoreDefinition = {
  service: 'billing',
  migrations: [],
  projections: [],
};
