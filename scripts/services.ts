import { billingEventStore } from '../apps/billing/src/billing.event-store.js';
import { computeEventStore } from '../apps/compute/src/compute.event-store.js';
import { identityEventStore } from '../apps/gateway/src/identity/identity.event-store.js';
import { networkEventStore } from '../apps/network/src/network.event-store.js';
import { type EventStoreDefinition } from '#libs/event-sourcing';

/** The processes of one Awan, in start order; each listens on the gateway's port + offset. */
export const APPS = [
  { name: 'gateway', entry: 'dist/apps/gateway/src/main.js', portOffset: 0 },
  { name: 'compute', entry: 'dist/apps/compute/src/main.js', portOffset: 1 },
  { name: 'network', entry: 'dist/apps/network/src/main.js', portOffset: 2 },
  { name: 'billing', entry: 'dist/apps/billing/src/main.js', portOffset: 3 },
  { name: 'host-agent', entry: 'dist/apps/host-agent/src/main.js', portOffset: 4 },
] as const;

export const EVENT_STORES: EventStoreDefinition[] = [identityEventStore, computeEventStore, networkEventStore, billingEventStore];
