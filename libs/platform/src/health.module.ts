import {
  Controller, Get, Inject, Injectable, Logger, Module, Res, type BeforeApplicationShutdown, type DynamicModule, type OnApplicationBootstrap,
} from '@nestjs/common';
import { MessagePattern } from '@nestjs/microservices';
import type { NatsConnection } from '@nats-io/transport-node';
import { healthSubject, type CheckStatus, type Health } from '#libs/contracts';
import { RecentReads } from './recent-reads.js';
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

/** Why a check failed (its error's message, or `timeout`), or null when it passed. */
async function failureOf(check: () => Promise<unknown>): Promise<string | null> {
  let timer: NodeJS.Timeout | undefined;
  try {
    await Promise.race([
      check(),
      new Promise((_, reject) => (timer = setTimeout(() => reject(new Error('timeout')), CHECK_TIMEOUT_MS))),
    ]);
    return null;
  } catch (error) {
    return (error as Error)?.message ?? String(error);
  } finally {
    clearTimeout(timer);
  }
}

const probe = async (check: () => Promise<unknown>): Promise<CheckStatus> => ((await failureOf(check)) === null ? 'up' : 'down');

const WATCH_INTERVAL_MS = 2000;
const DEPENDENCY_NAMES: Record<string, string> = { nats: 'NATS', postgres: 'PostgreSQL' };

/**
 * The service's connections (NATS, and its checks': PostgreSQL) probed every two seconds in the
 * background: one line when one is lost and one when it is back, however many requests fail between.
 */
@Injectable()
export class DependencyWatch implements OnApplicationBootstrap, BeforeApplicationShutdown {
  private readonly logger = new Logger('dependencies');
  /** Since when each lost one has been lost. */
  private readonly lost = new Map<string, number>();
  private timer: NodeJS.Timeout | undefined;
  private watching: Promise<void> | null = null;
  private stopped = false;

  constructor(
    @Inject(NATS_CONNECTION) private readonly nats: NatsConnection,
    private readonly reports: HealthReports,
  ) {}

  onApplicationBootstrap(): void {
    this.timer = setInterval(() => (this.watching ??= this.watch().finally(() => (this.watching = null))), WATCH_INTERVAL_MS);
  }

  /** Before the connections close: their closing is no outage. */
  async beforeApplicationShutdown(): Promise<void> {
    this.stopped = true;
    clearInterval(this.timer);
    await this.watching;
  }

  /** One round of probes, as the timer runs them. */
  async watch(): Promise<void> {
    const checks = new Map([['nats', () => this.nats.flush()], ...this.reports.checks]);
    for (const [name, check] of checks) {
      const failure = await failureOf(check);
      if (this.stopped) return;
      const since = this.lost.get(name);
      const dependency = DEPENDENCY_NAMES[name] ?? name;
      if (failure !== null && since === undefined) {
        this.lost.set(name, Date.now());
        this.logger.error({ msg: `${dependency} lost: ${failure}`, dependency: name });
      } else if (failure === null && since !== undefined) {
        this.lost.delete(name);
        this.logger.log({ msg: `${dependency} back`, dependency: name, lostForMs: Date.now() - since });
      }
    }
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

const HEALTH_REUSED_MS = 1000;

/** `GET /health` for load balancers and `<service>.health` over NATS, both checking the service's connections, at most once a second. */
function healthController(service: string, subject: string) {
  @Controller()
  class HealthController {
    /** The last check, answered again for a second: anyone may ask, and each check asks the database and NATS. */
    private readonly recent = new RecentReads<Health>(HEALTH_REUSED_MS);

    constructor(
      @Inject(NATS_CONNECTION) private readonly nats: NatsConnection,
      private readonly reports: HealthReports,
    ) {}

    check(): Promise<Health> {
      return this.recent.get(service, () => checkHealth(service, this.nats, this.reports));
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
    return {
      module: HealthModule, global: true, controllers: [healthController(service, subject)], providers: [HealthReports, DependencyWatch], exports: [HealthReports],
    };
  }
}
