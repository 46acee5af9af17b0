import { Context, Query, Resolver } from '@nestjs/graphql';
import { AppError, type CheckStatus, type Health, type Subject } from '#libs/contracts';
import { ServiceClient } from '#libs/messaging';
import { requireRole, type GatewayContext } from '../graphql/gateway-context.js';
import { GatewayServiceClient } from '../graphql/service-calls.js';
import { ServiceStatus } from './service-status.model.js';

/** The backing services, each with the subject it answers its health on. */
const BACKING_SERVICES = {
  compute: 'compute.health',
  network: 'network.health',
  billing: 'billing.health',
} as const satisfies Record<string, Subject>;
const STATUS_TIMEOUT_MS = 2000;

@Resolver(() => ServiceStatus)
export class ServiceStatusResolver {
  constructor(
    private readonly client: GatewayServiceClient,
    private readonly agents: ServiceClient,
  ) {}

  @Query(() => [ServiceStatus], { description: 'ADMIN: the backing services and their dependencies, asked over NATS now' })
  async services(@Context() context: GatewayContext): Promise<ServiceStatus[]> {
    requireRole(context, ['ADMIN'], 'see the services');
    return Promise.all([
      ...Object.entries(BACKING_SERVICES).map(([service, subject]) => statusOf(service, () => this.client.call(subject, {}, STATUS_TIMEOUT_MS))),
      statusOf('host-agent', () => this.agentsHealth()),
    ]);
  }

  /**
   * The host agents' health together: each agent answers in its own subjects (`agent.<hostId>.health`,
   * the only ones its credentials may answer), so each host that is not DOWN is asked. Degraded when
   * one is, or does not answer; unavailable when none does.
   */
  private async agentsHealth(): Promise<Health> {
    const hosts = (await this.client.call('compute.host.list', {}, STATUS_TIMEOUT_MS)).filter((host) => host.status !== 'DOWN');
    const answers = await Promise.all(hosts.map((host) => this.agents.callAgent(host.id, 'health', {}, STATUS_TIMEOUT_MS).catch(() => null)));
    const healths = answers.filter((health) => health !== null);
    if (healths.length === 0) throw AppError.unavailable('no host agent answered');
    const checks: Record<string, CheckStatus> = {};
    for (const [name, status] of healths.flatMap((health) => Object.entries(health.checks))) checks[name] = checks[name] === 'down' ? 'down' : status;
    const ok = healths.length === hosts.length && healths.every((health) => health.status === 'ok');
    return { service: 'host-agent', status: ok ? 'ok' : 'degraded', checks };
  }
}

async function statusOf(service: string, health: () => Promise<Health>): Promise<ServiceStatus> {
  try {
    const { status, checks } = await health();
    return { service, status, dependencies: Object.entries(checks).map(([name, check]) => ({ name, status: check })) };
  } catch (error) {
    if (error instanceof AppError && error.code === 'UNAVAILABLE') return { service, status: 'unavailable', dependencies: [] };
    throw error;
  }
}
