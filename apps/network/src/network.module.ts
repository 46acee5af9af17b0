import { Module, type DynamicModule } from '@nestjs/common';
import type pg from 'pg';
import { EventStore } from '#libs/event-store';
import { ServiceClient } from '#libs/messaging';
import { type DatabaseConfig, EventSourcingModule, PG_POOL } from '#libs/event-sourcing';
import { platformImports, type ServiceConfig } from '#libs/platform';
import { DnsController } from './dns/dns.controller.js';
import { DnsRepository } from './dns/dns.repository.js';
import { DnsServer } from './dns/dns-server.js';
import { Zones } from './dns/zones.js';
import { InstanceAddressing } from './instance-addressing/instance-addressing.js';
import { InstanceAddressingConsumer } from './instance-addressing/instance-addressing.consumer.js';
import { InstancesRepository } from './instance-addressing/instances.repository.js';
import { AddressAllocator } from './ips/address-allocator.js';
import { Ips } from './ips/ips.js';
import { IpsController } from './ips/ips.controller.js';
import { IpsRepository } from './ips/ips.repository.js';
import type { NetworkConfig } from './network.config.js';
import { networkEventStore } from './network.event-store.js';
import { Pools } from './pools/pools.js';
import { PoolsController } from './pools/pools.controller.js';
import { PoolsRepository } from './pools/pools.repository.js';

/** The network service: IP pools, addresses, floating IPs, reverse DNS and zone data. Its only composition root. */
@Module({})
export class NetworkModule {
  static forRoot(config: ServiceConfig, database: DatabaseConfig, network: NetworkConfig): DynamicModule {
    return {
      module: NetworkModule,
      imports: [...platformImports(config), EventSourcingModule.forService(networkEventStore, database)],
      controllers: [PoolsController, IpsController, DnsController],
      providers: [
        { provide: PoolsRepository, inject: [PG_POOL], useFactory: (pool: pg.Pool) => new PoolsRepository(pool) },
        { provide: IpsRepository, inject: [PG_POOL], useFactory: (pool: pg.Pool) => new IpsRepository(pool) },
        { provide: InstancesRepository, inject: [PG_POOL], useFactory: (pool: pg.Pool) => new InstancesRepository(pool) },
        { provide: DnsRepository, inject: [PG_POOL], useFactory: (pool: pg.Pool) => new DnsRepository(pool) },
        {
          provide: Pools,
          inject: [EventStore, PoolsRepository, ServiceClient],
          useFactory: (store: EventStore, pools: PoolsRepository, client: ServiceClient) => new Pools(store, pools, client),
        },
        {
          provide: Ips,
          inject: [PG_POOL, EventStore, IpsRepository, PoolsRepository, InstancesRepository],
          useFactory: (pool: pg.Pool, store: EventStore, ips: IpsRepository, pools: PoolsRepository, instances: InstancesRepository) =>
            new Ips(pool, store, ips, pools, instances, new AddressAllocator(network.quarantineSeconds)),
        },
        {
          provide: InstanceAddressing,
          inject: [EventStore, InstancesRepository, Ips],
          useFactory: (store: EventStore, instances: InstancesRepository, ips: Ips) => new InstanceAddressing(store, instances, ips),
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
