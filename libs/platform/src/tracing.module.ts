import { Global, Injectable, Module, type OnApplicationShutdown } from '@nestjs/common';
import { stopTracing } from '#libs/tracing';

@Injectable()
class TracingShutdown implements OnApplicationShutdown {
  onApplicationShutdown(): Promise<void> {
    return stopTracing();
  }
}

/**
 * Sends a tracing process's last spans as it stops. Global, so its hook runs after every other
 * module's, whose own stopping (consumers finishing an event) may still end spans.
 */
@Global()
@Module({ providers: [TracingShutdown] })
export class TracingModule {}
