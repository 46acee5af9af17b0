import { Context, Query, Resolver } from '@nestjs/graphql';
import { AppError, type Health, healthSubject } from '#libs/contracts';
import { ServiceClient } from '#libs/messaging';
import { requireRole, type GatewayContext } from '../graphql/gateway-context.js';
import { ServiceStatus } from './service-status.model.js';

const BACKING_SERVICES = ['compute', 'network', 'billing', 'host-agent'];
const STATUS_TIMEOUT_MS = 2000;

@Resolver(() => ServiceStatus)
export class ServiceStatusResolver {
  constructor(private readonly client: ServiceClient) {}

  @Query(() => [ServiceStatus], { description: 'ADMIN: the backing services and their dependencies, asked over NATS now' })
  async services(@Context() context: GatewayContext): Promise<ServiceStatus[]> {
    requireRole(context, ['ADMIN'], 'see the services');
    return Promise.all(
      BACKING_SERVICES.map(async (service) => {
        try {
          const health = await this.client.request<Health>(healthSubject(service), {}, STATUS_TIMEOUT_MS);
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
