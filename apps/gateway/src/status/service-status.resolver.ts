import { Context, Query, Resolver } from '@nestjs/graphql';
import { AppError, type Subject } from '#libs/contracts';
import { requireRole, type GatewayContext } from '../graphql/gateway-context.js';
import { GatewayServiceClient } from '../graphql/service-calls.js';
import { ServiceStatus } from './service-status.model.js';

/** The backing services, each with the subject it answers its health on. */
const BACKING_SERVICES = {
  compute: 'compute.health',
  network: 'network.health',
  billing: 'billing.health',
  'host-agent': 'host-agent.health',
} as const satisfies Record<string, Subject>;
const STATUS_TIMEOUT_MS = 2000;

@Resolver(() => ServiceStatus)
export class ServiceStatusResolver {
  constructor(private readonly client: GatewayServiceClient) {}

  @Query(() => [ServiceStatus], { description: 'ADMIN: the backing services and their dependencies, asked over NATS now' })
  async services(@Context() context: GatewayContext): Promise<ServiceStatus[]> {
    requireRole(context, ['ADMIN'], 'see the services');
    return Promise.all(
      Object.entries(BACKING_SERVICES).map(async ([service, subject]) => {
        try {
          const health = await this.client.call(subject, {}, STATUS_TIMEOUT_MS);
          const dependencies = Object.entries(health.checks).map(([name, status]) => ({ name, status }));
          return { service, status: health.status, dependencies };
        } catch (error) {
          if (error instanceof AppError && error.code === 'UNAVAILABLE') return { service, status: 'unavailable', dependencies: [] };
          throw error;
        }
      }),
    );
  }
}
