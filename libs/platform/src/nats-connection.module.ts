import { Global, Inject, Module, type DynamicModule, type OnApplicationShutdown } from '@nestjs/common';
import { connect, type NatsConnection } from '@nats-io/transport-node';
import { natsConnectionOptions, type NatsEndpoint } from '#libs/messaging';
import { NATS_CONNECTION } from './tokens.js';

@Global()
@Module({})
export class NatsConnectionModule implements OnApplicationShutdown {
  constructor(@Inject(NATS_CONNECTION) private readonly nats: NatsConnection) {}

  static forService(service: string, endpoint: NatsEndpoint): DynamicModule {
    return {
      module: NatsConnectionModule,
      providers: [
        {
          provide: NATS_CONNECTION,
          useFactory: () => connect(natsConnectionOptions(endpoint, `awan-${service}-events`)),
        },
      ],
      exports: [NATS_CONNECTION],
    };
  }

  async onApplicationShutdown(): Promise<void> {
    await this.nats.drain().catch(() => undefined);
  }
}
