import { Module, type DynamicModule } from '@nestjs/common';
import type pg from 'pg';
import { EventStore } from '#libs/event-store';
import { ServiceClient } from '#libs/messaging';
import { type DatabaseConfig, EventSourcingModule, PG_POOL } from '#libs/event-sourcing';
import { AccountQueue, platformImports, type ServiceConfig } from '#libs/platform';
import { DnsController } from './dns/dns.controller.js';
import { DnsRepository } from './dns/dns.repository.js';
import { DnsServer } from './dns/dns-server.js';
import { Zones } from './dns/zones.js';
import { firewallLimitSettings, Firewalls } from './firewalls/firewalls.js';
import { FirewallsController } from './firewalls/firewalls.controller.js';
import { FirewallsRepository } from './firewalls/firewalls.repository.js';
import { InstanceFilters } from './firewalls/instance-filters.js';
import { InstanceAddressing } from './instance-addressing/instance-addressing.js';
import { InstanceAddressingConsumer } from './instance-addressing/instance-addressing.consumer.js';
import { InstanceAddressingController } from './instance-addressing/instance-addressing.controller.js';
import { InstancesRepository } from './instance-addressing/instances.repository.js';
import { AddressAllocator } from './ips/address-allocator.js';
import { floatingLimitSettings, Ips } from './ips/ips.js';
import { IpsController } from './ips/ips.controller.js';
import { IpsRepository } from './ips/ips.repository.js';
import type { NetworkConfig } from './network.config.js';
import { networkEventStore } from './network.event-store.js';
import { Pools } from './pools/pools.js';
import { PoolsController } from './pools/pools.controller.js';
import { PoolsMetrics } from './pools/pools.metrics.js';
import { PoolsRepository } from './pools/pools.repository.js';

/** The network service: IP pools, addresses, floating IPs, reverse DNS and zone data, firewalls. Its only composition root. */
@Module({})
export class NetworkModule {
  static forRoot(config: ServiceConfig, database: DatabaseConfig, network: NetworkConfig): DynamicModule {
    const floatingLimit = { perAccount: network.floatingIpsPerAccount, quarantineSeconds: network.quarantineSeconds };
    // The limits PostgreSQL counts an account's floating addresses and firewalls against, at each commit.
    const sessionSettings = { ...floatingLimitSettings(floatingLimit), ...firewallLimitSettings(network.firewallsPerAccount) };
    return {
      module: NetworkModule,
      imports: [...platformImports(config), EventSourcingModule.forService(networkEventStore, { ...database, sessionSettings })],
      controllers: [PoolsController, IpsController, DnsController, FirewallsController, InstanceAddressingController],
      providers: [
        { provide: PoolsRepository, inject: [PG_POOL], useFactory: (pool: pg.Pool) => new PoolsRepository(pool) },
        { provide: PoolsMetrics, inject: [PoolsRepository], useFactory: (pools: PoolsRepository) => new PoolsMetrics(pools) },
        { provide: IpsRepository, inject: [PG_POOL], useFactory: (pool: pg.Pool) => new IpsRepository(pool) },
        { provide: InstancesRepository, inject: [PG_POOL], useFactory: (pool: pg.Pool) => new InstancesRepository(pool) },
        { provide: DnsRepository, inject: [PG_POOL], useFactory: (pool: pg.Pool) => new DnsRepository(pool) },
        { provide: FirewallsRepository, inject: [PG_POOL], useFactory: (pool: pg.Pool) => new FirewallsRepository(pool) },
        {
          provide: InstanceFilters,
          inject: [PG_POOL, EventStore, FirewallsRepository],
          useFactory: (pool: pg.Pool, store: EventStore, firewalls: FirewallsRepository) => new InstanceFilters(pool, store, firewalls),
        },
        {
          provide: Firewalls,
          inject: [PG_POOL, EventStore, FirewallsRepository, InstancesRepository, InstanceFilters],
          useFactory: (pool: pg.Pool, store: EventStore, firewalls: FirewallsRepository, instances: InstancesRepository, filters: InstanceFilters) =>
            new Firewalls(pool, store, firewalls, instances, filters, network.firewallsPerAccount, new AccountQueue(network.firewallQueueWaitMs)),
        },
        {
          provide: Pools,
          inject: [EventStore, PoolsRepository, ServiceClient],
          useFactory: (store: EventStore, pools: PoolsRepository, client: ServiceClient) => new Pools(store, pools, client),
        },
        {
          provide: Ips,
          inject: [PG_POOL, EventStore, IpsRepository, PoolsRepository, InstancesRepository, InstanceFilters, Zones],
          useFactory: (pool: pg.Pool, store: EventStore, ips: IpsRepository, pools: PoolsRepository, instances: InstancesRepository, filters: InstanceFilters, zones: Zones) =>
            new Ips(pool, store, ips, pools, instances, new AddressAllocator(network.quarantineSeconds), filters, floatingLimit, zones),
        },
        {
          provide: InstanceAddressing,
          inject: [PG_POOL, EventStore, InstancesRepository, Ips, Firewalls, InstanceFilters],
          useFactory: (...deps: ConstructorParameters<typeof InstanceAddressing>) => new InstanceAddressing(...deps),
        },
        {
          provide: Zones,
          inject: [DnsRepository, ServiceClient],
          useFactory: (repository: DnsRepository, client: ServiceClient) => new Zones(repository, client, network.dnsNameserver),
        },
        // The durable consumer of compute's instance events, and the DNS responder: each started and stopped with the service.
        InstanceAddressingConsumer,
        { provide: DnsServer, inject: [Zones], useFactory: (zones: Zones) => new DnsServer(zones, { port: network.dnsPort, host: config.host }) },
      ],
    };
  }
}
