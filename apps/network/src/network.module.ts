import { Module, type DynamicModule } from '@nestjs/common';
import type pg from 'pg';
import { EventStore } from '#libs/event-store';
import { ServiceClient } from '#libs/messaging';
import { type DatabaseConfig, EventSourcingModule, PG_POOL } from '#libs/event-sourcing';
import { platformImports, readWholeNumber, type ServiceConfig } from '#libs/platform';
import { DNS_LISTEN, DnsController, type DnsListen } from './dns/dns.controller.js';
import { Zones } from './dns/zones.js';
import { InstanceAddressing } from './instance-addressing/instance-addressing.js';
import { InstanceAddressingConsumer } from './instance-addressing/instance-addressing.consumer.js';
import { AddressAllocator } from './ips/address-allocator.js';
import { Ips } from './ips/ips.js';
import { IpsController } from './ips/ips.controller.js';
import { networkEventStore } from './network.event-store.js';
import { Pools } from './pools/pools.js';
import { PoolsController } from './pools/pools.controller.js';

/** How long a released address rests before it is handed out again. */
const quarantineSeconds = () => readWholeNumber('IP_QUARANTINE_SECONDS', 3600, { expected: 'a number of seconds' });
/** The DNS responder's UDP port; 0 (the default) runs none. */
const dnsPort = () => readWholeNumber('DNS_PORT', 0, { expected: 'a UDP port number', max: 65535 }) || null;

/** The network service: IP pools, addresses, floating IPs, reverse DNS and zone data. */
@Module({})
export class NetworkModule {
  static forRoot(config: ServiceConfig, database: DatabaseConfig): DynamicModule {
    const allocator = new AddressAllocator(quarantineSeconds());
    return {
      module: NetworkModule,
      imports: [...platformImports(config), EventSourcingModule.forService(networkEventStore, database)],
      controllers: [PoolsController, IpsController, DnsController],
      providers: [
        { provide: Pools, inject: [PG_POOL], useFactory: (pool: pg.Pool) => new Pools(pool) },
        { provide: Ips, inject: [PG_POOL, EventStore, Pools], useFactory: (pool: pg.Pool, store: EventStore, pools: Pools) => new Ips(pool, store, pools, allocator) },
        { provide: InstanceAddressing, inject: [PG_POOL, EventStore, Ips], useFactory: (pool: pg.Pool, store: EventStore, ips: Ips) => new InstanceAddressing(pool, store, ips) },
        { provide: Zones, inject: [PG_POOL, ServiceClient], useFactory: (pool: pg.Pool, client: ServiceClient) => new Zones(pool, client, process.env.DNS_NAMESERVER ?? 'ns1.awan.test') },
        InstanceAddressingConsumer,
        { provide: DNS_LISTEN, useValue: { port: dnsPort(), host: config.host } satisfies DnsListen },
      ],
    };
  }
}
