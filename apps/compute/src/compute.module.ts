import { Module, type DynamicModule } from '@nestjs/common';
import { EventSourcingModule, type DatabaseConfig } from '#libs/event-sourcing';
import { platformImports, type ServiceConfig } from '#libs/platform';
import { CatalogController } from './catalog/catalog.controller.js';
import { computeEventStore } from './compute.event-store.js';
import { HostsController } from './hosts/hosts.controller.js';
import { InstancesController } from './instances/instances.controller.js';
import { AccountSuspensionsConsumer } from './suspensions/account-suspensions.consumer.js';

/** The compute service: instances, hosts, scheduler, high availability, and billing's suspensions. */
@Module({})
export class ComputeModule {
  static forRoot(config: ServiceConfig, database: DatabaseConfig): DynamicModule {
    return {
      module: ComputeModule,
      imports: [...platformImports(config), EventSourcingModule.forService(computeEventStore, database)],
      controllers: [CatalogController, HostsController, InstancesController],
      providers: [AccountSuspensionsConsumer],
    };
  }
}
