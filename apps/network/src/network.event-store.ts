import { type EventStoreDefinition } from '#libs/event-sourcing';
import { firewallsMigrations } from './firewalls/firewalls.migrations.js';
import { firewallsProjection, instanceFiltersProjection } from './firewalls/firewalls.projection.js';
import { instanceAddressingMigrations } from './instance-addressing/instance-addressing.migrations.js';
import { ipsMigrations } from './ips/ips.migrations.js';
import { ipsProjection } from './ips/ips.projection.js';
import { poolsMigrations } from './pools/pools.migrations.js';
import { poolsProjection } from './pools/pools.projection.js';

export const networkEventStore: EventStoreDefinition = {
  service: 'network',
  migrations: [...poolsMigrations, ...ipsMigrations, ...instanceAddressingMigrations, ...firewallsMigrations],
  projections: [poolsProjection, ipsProjection, firewallsProjection, instanceFiltersProjection],
};
