import { Module, type DynamicModule } from '@nestjs/common';
import type pg from 'pg';
import { EventStore } from '#libs/event-store';
import { EventSourcingModule, PG_POOL, type DatabaseConfig } from '#libs/event-sourcing';
import { ServiceClient } from '#libs/messaging';
import { AccountQueue, platformImports, type ServiceConfig } from '#libs/platform';
import { BackupJobs } from './backups/backup-jobs.js';
import { BackupLifecycle } from './backups/backup-lifecycle.js';
import { Backups } from './backups/backups.js';
import { BackupsConsumer } from './backups/backups.consumer.js';
import { BackupsController } from './backups/backups.controller.js';
import { BackupsRepository } from './backups/backups.repository.js';
import { Catalog } from './catalog/catalog.js';
import { CatalogController } from './catalog/catalog.controller.js';
import { CatalogRepository } from './catalog/catalog.repository.js';
import { ImageImportConsumer } from './catalog/image-import.consumer.js';
import { ImageImporter } from './catalog/image-importer.js';
import { COMPUTE_CONFIG, type ComputeConfig } from './compute.config.js';
import { InstanceConsoles } from './consoles/consoles.js';
import { ConsolesController } from './consoles/consoles.controller.js';
import { computeEventStore } from './compute.event-store.js';
import { FirewallsConsumer } from './firewalls/firewalls.consumer.js';
import { FilterLookups, InstanceFilters } from './firewalls/instance-filters.js';
import { HostDownCheckJob } from './hosts/host-down-check.job.js';
import { HostCredentials } from './hosts/host-credentials.js';
import { HostEnrolment } from './hosts/host-enrolment.js';
import { HostFacts } from './hosts/host-facts.js';
import { HostHeartbeatsSubscriber } from './hosts/host-heartbeats.subscriber.js';
import { Hosts } from './hosts/hosts.js';
import { HostsController } from './hosts/hosts.controller.js';
import { HostsMetrics } from './hosts/hosts.metrics.js';
import { RegionPrefixChecks } from './hosts/region-prefix-check.js';
import { RegionPrefixCheckController } from './hosts/region-prefix-check.controller.js';
import { InstanceFacts } from './instances/instance-facts.js';
import { InstanceHeartbeatsSubscriber } from './instances/instance-heartbeats.subscriber.js';
import { HostLeftovers } from './instances/host-leftovers.js';
import { InstanceProvisioner } from './instances/instance-provisioner.js';
import { InstanceProvisionerConsumer } from './instances/instance-provisioner.consumer.js';
import { InstanceWatchJob } from './instances/instance-watch.job.js';
import { InstanceWatcher } from './instances/instance-watcher.js';
import { Instances } from './instances/instances.js';
import { InstancesController } from './instances/instances.controller.js';
import { InstancesMetrics } from './instances/instances.metrics.js';
import { InstancesRepository } from './instances/instances.repository.js';
import { Quotas } from './instances/quotas.js';
import { Scheduler } from './scheduler/scheduler.js';
import { SnapshotWatchJob } from './snapshots/snapshot-watch.job.js';
import { Snapshots } from './snapshots/snapshots.js';
import { SnapshotsController } from './snapshots/snapshots.controller.js';
import { SnapshotsRepository } from './snapshots/snapshots.repository.js';
import { AccountSuspensions } from './suspensions/account-suspensions.js';
import { AccountSuspensionsConsumer } from './suspensions/account-suspensions.consumer.js';

/**
 * The compute service: instances, hosts, scheduler, high availability, and billing's suspensions.
 * Its one composition root: controllers map subjects to the use cases below; the consumers,
 * subscribers and jobs start with the application and stop with it.
 */
@Module({})
export class ComputeModule {
  static forRoot(config: ServiceConfig, database: DatabaseConfig, compute: ComputeConfig): DynamicModule {
    return {
      module: ComputeModule,
      imports: [...platformImports(config), EventSourcingModule.forService(computeEventStore, database)],
      controllers: [CatalogController, HostsController, RegionPrefixCheckController, InstancesController, ConsolesController, SnapshotsController, BackupsController],
      providers: [
        { provide: COMPUTE_CONFIG, useValue: compute },
        { provide: CatalogRepository, inject: [PG_POOL], useFactory: (pool: pg.Pool) => new CatalogRepository(pool) },
        {
          provide: Catalog,
          inject: [EventStore, CatalogRepository, Hosts],
          useFactory: (store: EventStore, repository: CatalogRepository, hosts: Hosts) => new Catalog(store, repository, hosts),
        },
        {
          provide: ImageImporter,
          inject: [EventStore, Hosts, ServiceClient],
          useFactory: (store: EventStore, hosts: Hosts, client: ServiceClient) => new ImageImporter(store, hosts, client),
        },
        { provide: Scheduler, inject: [PG_POOL], useFactory: (pool: pg.Pool) => new Scheduler(pool) },
        { provide: Hosts, inject: [PG_POOL, EventStore], useFactory: (pool: pg.Pool, store: EventStore) => new Hosts(pool, store) },
        { provide: HostCredentials, inject: [PG_POOL], useFactory: (pool: pg.Pool) => new HostCredentials(compute.hostCredentials, config.natsUrl, pool) },
        {
          provide: HostEnrolment,
          inject: [PG_POOL, EventStore, Hosts, HostCredentials],
          useFactory: (...deps: ConstructorParameters<typeof HostEnrolment>) => new HostEnrolment(...deps),
        },
        { provide: RegionPrefixChecks, inject: [Hosts, ServiceClient], useFactory: (hosts: Hosts, client: ServiceClient) => new RegionPrefixChecks(hosts, client) },
        { provide: Quotas, inject: [PG_POOL], useFactory: (pool: pg.Pool) => new Quotas(pool, compute.defaultQuota) },
        { provide: AccountQueue, useFactory: () => new AccountQueue(compute.accountQueueWaitMs) },
        { provide: AccountSuspensions, inject: [PG_POOL, EventStore], useFactory: (pool: pg.Pool, store: EventStore) => new AccountSuspensions(pool, store) },
        { provide: InstancesRepository, inject: [PG_POOL], useFactory: (pool: pg.Pool) => new InstancesRepository(pool) },
        { provide: InstancesMetrics, inject: [PG_POOL], useFactory: (pool: pg.Pool) => new InstancesMetrics(pool) },
        { provide: HostsMetrics, inject: [PG_POOL], useFactory: (pool: pg.Pool) => new HostsMetrics(pool) },
        {
          provide: Instances,
          inject: [PG_POOL, EventStore, InstancesRepository, Catalog, Hosts, Quotas, Scheduler, AccountSuspensions, AccountQueue],
          useFactory: (...deps: ConstructorParameters<typeof Instances>) => new Instances(...deps),
        },
        {
          provide: InstanceConsoles,
          inject: [EventStore, Instances, ServiceClient],
          useFactory: (...deps: ConstructorParameters<typeof InstanceConsoles>) => new InstanceConsoles(...deps),
        },
        { provide: SnapshotsRepository, inject: [PG_POOL], useFactory: (pool: pg.Pool) => new SnapshotsRepository(pool) },
        {
          provide: Snapshots,
          inject: [PG_POOL, EventStore, InstancesRepository, SnapshotsRepository, AccountSuspensions, AccountQueue],
          useFactory: (...deps: [pg.Pool, EventStore, InstancesRepository, SnapshotsRepository, AccountSuspensions, AccountQueue]) =>
            new Snapshots(...deps, compute.snapshotsPerInstance),
        },
        { provide: BackupsRepository, inject: [PG_POOL], useFactory: (pool: pg.Pool) => new BackupsRepository(pool) },
        {
          provide: Backups,
          inject: [PG_POOL, EventStore, InstancesRepository, BackupsRepository, AccountSuspensions, AccountQueue, Instances, Catalog],
          useFactory: (...deps: [pg.Pool, EventStore, InstancesRepository, BackupsRepository, AccountSuspensions, AccountQueue, Instances, Catalog]) =>
            new Backups(...deps, compute.backupsPerAccount),
        },
        {
          provide: BackupLifecycle,
          inject: [EventStore, BackupsRepository, Hosts, ServiceClient],
          useFactory: (...deps: ConstructorParameters<typeof BackupLifecycle>) => new BackupLifecycle(...deps),
        },
        {
          provide: InstanceWatcher,
          inject: [PG_POOL, EventStore, Scheduler],
          useFactory: (pool: pg.Pool, store: EventStore, scheduler: Scheduler) => new InstanceWatcher(pool, store, scheduler, compute.transitionTimeoutsMs),
        },
        {
          provide: InstanceProvisioner,
          inject: [PG_POOL, EventStore, InstancesRepository, Catalog, Scheduler, ServiceClient, InstancesMetrics, FilterLookups, HostLeftovers],
          useFactory: (...deps: ConstructorParameters<typeof InstanceProvisioner>) => new InstanceProvisioner(...deps),
        },
        { provide: HostLeftovers, inject: [PG_POOL], useFactory: (pool: pg.Pool) => new HostLeftovers(pool, compute.hostDownTimeoutMs) },
        { provide: FilterLookups, inject: [ServiceClient], useFactory: (client: ServiceClient) => new FilterLookups(client) },
        {
          provide: InstanceFilters,
          inject: [EventStore, InstancesRepository, Hosts, ServiceClient, FilterLookups],
          useFactory: (...deps: ConstructorParameters<typeof InstanceFilters>) => new InstanceFilters(...deps),
        },
        InstanceProvisionerConsumer,
        FirewallsConsumer,
        ImageImportConsumer,
        AccountSuspensionsConsumer,
        InstanceWatchJob,
        SnapshotWatchJob,
        BackupsConsumer,
        BackupJobs,
        InstanceHeartbeatsSubscriber,
        HostHeartbeatsSubscriber,
        HostDownCheckJob,
        InstanceFacts,
        HostFacts,
      ],
    };
  }
}
