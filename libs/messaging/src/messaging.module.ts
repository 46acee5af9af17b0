import { Module, type DynamicModule } from '@nestjs/common';
import { ClientsModule, Transport, type NatsOptions } from '@nestjs/microservices';
import { NATS_CLIENT, ServiceClient } from './service-client.js';

/**
 * Every NATS connection of a service keeps trying to reconnect, every quarter second: a restarted
 * nats-server is back within a second or two, and a connection that gave up would leave the
 * process running but deaf until someone restarted it.
 */
export const NATS_RECONNECT = { maxReconnectAttempts: -1, reconnectTimeWait: 250 } as const;

/**
 * How a service listens for requests: its subjects in one queue group named after it,
 * so replicas share the load and each request is answered once.
 */
export function natsListenerOptions(service: string, natsUrl: string): NatsOptions {
  return { transport: Transport.NATS, options: { servers: [natsUrl], queue: service, name: `awan-${service}`, ...NATS_RECONNECT } };
}

/** Provides ServiceClient, for requests to other services. */
@Module({})
export class MessagingModule {
  static forRoot(options: { service: string; natsUrl: string }): DynamicModule {
    return {
      module: MessagingModule,
      global: true,
      imports: [
        ClientsModule.register([
          { name: NATS_CLIENT, transport: Transport.NATS, options: { servers: [options.natsUrl], name: `awan-${options.service}-client`, ...NATS_RECONNECT } },
        ]),
      ],
      providers: [ServiceClient],
      exports: [ServiceClient],
    };
  }
}
