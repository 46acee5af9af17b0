import { Module, type DynamicModule } from '@nestjs/common';
import { platformImports, type ServiceConfig } from '#libs/platform';

/**
 * The node control on one hypervisor host. It keeps no database: the host's own
 * processes, pidfiles and sockets are its state.
 */
@Module({})
export class HostAgentModule {
  static forRoot(config: ServiceConfig): DynamicModule {
    return { module: HostAgentModule, imports: platformImports(config) };
  }
}
