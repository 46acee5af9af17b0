import { Global, Inject, Module, type DynamicModule, type OnApplicationShutdown } from '@nestjs/common';
import { connect, type NatsConnection } from '@nats-io/transport-node';
import { NATS_RECONNECT } from '#libs/messaging';
import { NATS_CONNECTION } from './tokens.js';

@Global()
@Module({})
export class NatsConnectionModule implements OnApplicationShutdown {
  constructor(@Inject(NATS_CONNECTION) private readonly nats: NatsConnection) {}

  static forService(service: string, natsUrl: string): DynamicModule {
    return {
      module: NatsConnectionModule,
      providers: [
        {
          provide: NATS_CONNECTION,
          useFactory: () => connect({ servers: natsUrl, name: `awan-${service}-events`, ...NATS_RECONNECT }),
        },
      ],
      exports: [NATS_CONNECTION],
    };
  }

  async onApplicationShutdown(): Promise<void> {
    await this.nats.drain().catch(() => undefined);
  }
}
