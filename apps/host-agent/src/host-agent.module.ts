import { Module, type DynamicModule } from '@nestjs/common';
import { platformImports, type ServiceConfig } from '#libs/platform';
import { HeartbeatService } from './heartbeat/heartbeat.service.js';
import type { AgentConfig } from './host/agent-config.js';
import { probeHost, type HostAbilities } from './host/host-probe.js';
import { AGENT_CONFIG, HOST_ABILITIES } from './host/tokens.js';
import { InstanceFolders } from './instances/instance-folder.js';
import { InstanceManager } from './instances/instance-manager.js';
import { instancesController } from './instances/instances.controller.js';
import { LxcDriver } from './instances/lxc.driver.js';
import { QemuDriver } from './instances/qemu.driver.js';

/**
 * The node control on one hypervisor host. It keeps no database: the host's own
 * processes, pidfiles and sockets are its state.
 */
@Module({})
export class HostAgentModule {
  static forRoot(config: ServiceConfig, agent: AgentConfig): DynamicModule {
    const folders = new InstanceFolders(agent.dataDir);
    return {
      module: HostAgentModule,
      imports: platformImports(config),
      controllers: [instancesController(agent.hostId)],
      providers: [
        { provide: AGENT_CONFIG, useValue: agent },
        { provide: HOST_ABILITIES, useFactory: () => probeHost(agent.dataDir, agent.accelerator) },
        {
          provide: InstanceManager,
          inject: [HOST_ABILITIES],
          useFactory: (abilities: HostAbilities) =>
            new InstanceManager(
              folders,
              { VM: new QemuDriver({ folders, accelerator: abilities.accelerator ?? 'tcg' }), CONTAINER: new LxcDriver(folders) },
              agent.stopTimeoutMs,
            ),
        },
        HeartbeatService,
      ],
    };
  }
}
