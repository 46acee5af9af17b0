import { Controller, Get, Inject, Injectable, Module, Optional, Res, type DynamicModule } from '@nestjs/common';
import { MessagePattern } from '@nestjs/microservices';
import type { NatsConnection } from '@nats-io/transport-node';
import type pg from 'pg';
import { healthSubject } from '#libs/contracts';
import { NATS_CONNECTION, PG_POOL } from './tokens.js';

export type CheckStatus = 'up' | 'down';

export interface Health {
  service: string;
  status: 'ok' | 'degraded';
  checks: Record<string, CheckStatus>;
  /** What the service knows is wrong beyond its connections, each in a sentence (a bridge it refused). */
  problems?: string[];
}

/** Where a service's capabilities report problems for its health: each source is asked at every check. */
@Injectable()
export class HealthReports {
  private readonly sources = new Set<() => string[]>();

  add(source: () => string[]): void {
    this.sources.add(source);
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

/** `GET /health` for load balancers and `<service>.health` over NATS, both checking the service's connections. */
function healthController(service: string) {
  @Controller()
  class HealthController {
    constructor(
      @Inject(NATS_CONNECTION) private readonly nats: NatsConnection,
      private readonly reports: HealthReports,
      @Optional() @Inject(PG_POOL) private readonly pool?: pg.Pool,
    ) {}

    async check(): Promise<Health> {
      const checks: Record<string, CheckStatus> = { nats: await probe(() => this.nats.flush()) };
      if (this.pool) checks.postgres = await probe(() => this.pool!.query('SELECT 1'));
      const problems = this.reports.problems();
      const status = Object.values(checks).every((c) => c === 'up') && problems.length === 0 ? 'ok' : 'degraded';
      return { service, status, checks, ...(problems.length > 0 ? { problems } : {}) };
    }

    @Get('health')
    async http(@Res({ passthrough: true }) response: { status(code: number): unknown }): Promise<Health> {
      const health = await this.check();
      response.status(health.status === 'ok' ? 200 : 503);
      return health;
    }

    @MessagePattern(healthSubject(service))
    rpc(): Promise<Health> {
      return this.check();
    }
  }
  return HealthController;
}

@Module({})
export class HealthModule {
  static forService(service: string): DynamicModule {
    return { module: HealthModule, global: true, controllers: [healthController(service)], providers: [HealthReports], exports: [HealthReports] };
  }
}
