import { Global, Inject, Module, type DynamicModule, type OnApplicationShutdown } from '@nestjs/common';
import { connect, type NatsConnection } from '@nats-io/transport-node';
import { natsConnectionOptions, type NatsEndpoint } from '#libs/messaging';
import { NATS_CONNECTION, NATS_STREAM_REPLICAS } from './tokens.js';

@Global()
@Module({})
export class NatsConnectionModule implements OnApplicationShutdown {
  constructor(@Inject(NATS_CONNECTION) private readonly nats: NatsConnection) {}

  static forService(service: string, endpoint: NatsEndpoint & { natsStreamReplicas: number }): DynamicModule {
    return {
      module: NatsConnectionModule,
      providers: [
        {
          provide: NATS_CONNECTION,
          useFactory: () => connect(natsConnectionOptions(endpoint, `awan-${service}-events`)),
        },
        { provide: NATS_STREAM_REPLICAS, useValue: endpoint.natsStreamReplicas },
      ],
      exports: [NATS_CONNECTION, NATS_STREAM_REPLICAS],
    };
  }

  async onApplicationShutdown(): Promise<void> {
    await this.nats.drain().catch(() => undefined);
  }
}
