import { Controller, Get, Inject, Injectable, Module, Res, type DynamicModule } from '@nestjs/common';
import { MessagePattern } from '@nestjs/microservices';
import type { NatsConnection } from '@nats-io/transport-node';
import { healthSubject, type CheckStatus, type Health } from '#libs/contracts';
import { NATS_CONNECTION } from './tokens.js';

/**
 * What a service's health is made of beyond NATS: its other connections (`addCheck`, e.g. its
 * PostgreSQL) and the problems its capabilities know of (`add`). Each is asked at every check.
 */
@Injectable()
export class HealthReports {
  private readonly sources = new Set<() => string[]>();
  readonly checks = new Map<string, () => Promise<unknown>>();

  add(source: () => string[]): void {
    this.sources.add(source);
  }

  addCheck(name: string, check: () => Promise<unknown>): void {
    this.checks.set(name, check);
  }

  problems(): string[] {
    return [...this.sources].flatMap((source) => source());
  }
}

const CHECK_TIMEOUT_MS = 2000;

async function probe(check: () => Promise<unknown>): Promise<CheckStatus> {
  let timer: NodeJS.Timeout | undefined;
  try {
    await Promise.race([
      check(),
      new Promise((_, reject) => (timer = setTimeout(() => reject(new Error('timeout')), CHECK_TIMEOUT_MS))),
    ]);
    return 'up';
  } catch {
    return 'down';
  } finally {
    clearTimeout(timer);
  }
}

/** The service's health now: its connections probed (NATS, and the checks added), and the problems its capabilities know of. */
export async function checkHealth(service: string, nats: NatsConnection, reports: HealthReports): Promise<Health> {
  const checks: Record<string, CheckStatus> = { nats: await probe(() => nats.flush()) };
  for (const [name, check] of reports.checks) checks[name] = await probe(check);
  const problems = reports.problems();
  const status = Object.values(checks).every((c) => c === 'up') && problems.length === 0 ? 'ok' : 'degraded';
  return { service, status, checks, ...(problems.length > 0 ? { problems } : {}) };
}

/** `GET /health` for load balancers and `<service>.health` over NATS, both checking the service's connections. */
function healthController(service: string, subject: string) {
  @Controller()
  class HealthController {
    constructor(
      @Inject(NATS_CONNECTION) private readonly nats: NatsConnection,
      private readonly reports: HealthReports,
    ) {}

    check(): Promise<Health> {
      return checkHealth(service, this.nats, this.reports);
    }

    @Get('health')
    async http(@Res({ passthrough: true }) response: { status(code: number): unknown }): Promise<Health> {
      const health = await this.check();
      response.status(health.status === 'ok' ? 200 : 503);
      return health;
    }

    @MessagePattern(subject)
    rpc(): Promise<Health> {
      return this.check();
    }
  }
  return HealthController;
}

@Module({})
export class HealthModule {
  static forService(service: string, subject = healthSubject(service)): DynamicModule {
    return { module: HealthModule, global: true, controllers: [healthController(service, subject)], providers: [HealthReports], exports: [HealthReports] };
  }
}
