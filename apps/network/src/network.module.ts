import { Module, type DynamicModule } from '@nestjs/common';
import { platformImports, type ServiceConfig } from '#libs/platform';
import { networkEventStore } from './network.event-store.js';

/** The network service: IP pools, addresses, reverse DNS. */
@Module({})
export class NetworkModule {
  static forRoot(config: ServiceConfig): DynamicModule {
    return { module: NetworkModule, imports: platformImports(config, networkEventStore) };
  }
}
