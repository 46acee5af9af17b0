import path from 'node:path';
import { Module, type DynamicModule } from '@nestjs/common';
import { agentSubject } from '#libs/contracts';
import type { NatsConnection } from '@nats-io/transport-node';
import { NATS_CONNECTION, platformImports, type ServiceConfig } from '#libs/platform';
import { HeartbeatService } from './heartbeat/heartbeat.service.js';
import type { AgentConfig } from './host/agent-config.js';
import { probeHost, type HostAbilities } from './host/host-probe.js';
import { AGENT_CONFIG, HOST_ABILITIES } from './host/tokens.js';
import { ConsoleLogs, ConsoleLogsLifecycle } from './consoles/console-logs.js';
import { ConsoleSessions, HOST_CONSOLE_ENDPOINTS } from './consoles/console-sessions.js';
import { consolesController } from './consoles/consoles.controller.js';
import { FencingService } from './fencing/fencing.service.js';
import { firewallsController } from './firewalls/firewalls.controller.js';
import { FirewallsLifecycle } from './firewalls/firewalls.lifecycle.js';
import { ImageImports } from './images/image-imports.js';
import { imagesController } from './images/images.controller.js';
import { BridgesLifecycle } from './instances/bridges.lifecycle.js';
import { hostNetworkController } from './instances/host-network.controller.js';
import { InstanceManager, instanceManagerFor } from './instances/instance-manager.js';
import { instancesController } from './instances/instances.controller.js';
import { Snapshots, snapshotsFor } from './snapshots/snapshots.js';
import { BackupStore } from './backups/backup-store.js';
import { Backups, backupsFor } from './backups/backups.js';
import { backupsController } from './backups/backups.controller.js';
import { snapshotsController } from './snapshots/snapshots.controller.js';

/**
 * The node control on one hypervisor host. It keeps no database: the host's own
 * processes, pidfiles and sockets are its state.
 */
@Module({})
export class HostAgentModule {
  static forRoot(config: ServiceConfig, agent: AgentConfig): DynamicModule {
    return {
      module: HostAgentModule,
      // Its health is asked in its own subjects, the only ones its credentials answer.
      imports: platformImports(config, agentSubject(agent.hostId, 'health')),
      controllers: [instancesController(agent.hostId), hostNetworkController(agent.hostId), imagesController(agent.hostId), snapshotsController(agent.hostId), consolesController(agent.hostId), backupsController(agent.hostId), firewallsController(agent.hostId)],
      providers: [
        { provide: AGENT_CONFIG, useValue: agent },
        { provide: HOST_ABILITIES, useFactory: () => probeHost(agent.dataDir, agent.accelerator) },
        {
          provide: InstanceManager,
          inject: [HOST_ABILITIES],
          useFactory: (abilities: HostAbilities) => instanceManagerFor(agent, abilities.accelerator ?? 'tcg'),
        },
        { provide: Snapshots, inject: [InstanceManager], useFactory: (instances: InstanceManager) => snapshotsFor(instances) },
        {
          provide: Backups,
          inject: [InstanceManager],
          useFactory: (instances: InstanceManager) =>
            backupsFor(instances, agent.backupStoreDir ? new BackupStore(agent.backupStoreDir, agent.hostId, path.join(agent.dataDir, 'backup-work')) : null),
        },
        // The catalog's images go where instances find them: the storage the region's hosts share.
        { provide: ImageImports, useFactory: () => new ImageImports(path.join(agent.storageDir, 'images')) },
        {
          provide: ConsoleSessions,
          inject: [NATS_CONNECTION, InstanceManager],
          useFactory: (nats: NatsConnection, instances: InstanceManager) => new ConsoleSessions(agent.hostId, nats, HOST_CONSOLE_ENDPOINTS(instances.folders)),
        },
        { provide: ConsoleLogsLifecycle, inject: [InstanceManager], useFactory: (instances: InstanceManager) => new ConsoleLogsLifecycle(new ConsoleLogs(instances.folders)) },
        FencingService,
        HeartbeatService,
        BridgesLifecycle,
        FirewallsLifecycle,
      ],
    };
  }
}
