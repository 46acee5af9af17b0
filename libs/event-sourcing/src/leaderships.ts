import { Logger, type LoggerService, type OnApplicationShutdown } from '@nestjs/common';
import type { NatsConnection } from '@nats-io/transport-node';
import type pg from 'pg';
import { Leadership } from '#libs/event-store';
import { Rounds } from '#libs/platform';

/**
 * A job's rounds, every `everyMs`, on the one replica that leads it: Rounds whose each round runs
 * only while the lead is confirmed (Leadership.check).
 */
export class LedRounds extends Rounds {
  constructor(leadership: Leadership, everyMs: number, logger: LoggerService, what: string, round: () => Promise<void>) {
    super(everyMs, logger, what, async () => {
      if (await leadership.check()) await round();
    });
  }
}

/**
 * What one replica of the service at a time leads (Leadership): its relay, and its jobs
 * (LedRounds). A leader needs its database session and NATS: NATS lost even for a moment, its
 * leaderships step down at once (what it would have heard meanwhile went elsewhere or nowhere),
 * and are taken again, by it or another replica, at their next check.
 */
export class Leaderships implements OnApplicationShutdown {
  private readonly made: Leadership[] = [];
  private readonly logger = new Logger('leadership');

  constructor(
    private readonly pool: pg.Pool,
    private readonly schema: string,
    private readonly timeoutMs: number,
    private readonly nats: NatsConnection,
  ) {
    void (async () => {
      for await (const status of nats.status()) {
        if (status.type === 'disconnect') for (const leadership of this.made) leadership.lose('NATS disconnected');
      }
    })();
  }

  /**
   * The leadership of `name` among this service's replicas (its lock: `awan.<name>.<schema>`), one
   * per name in the process: what shares a name is led together, on one database session.
   */
  of(name: string): Leadership {
    const key = `awan.${name}.${this.schema}`;
    let leadership = this.made.find((made) => made.key === key);
    if (!leadership) {
      leadership = new Leadership({ pool: this.pool, key, timeoutMs: this.timeoutMs, alive: () => this.nats.flush(), logger: this.logger });
      this.made.push(leadership);
    }
    return leadership;
  }

  /** A job's rounds, every `everyMs`, on the replica that leads `name` (LedRounds). */
  rounds(name: string, everyMs: number, logger: LoggerService, what: string, round: () => Promise<void>): LedRounds {
    return new LedRounds(this.of(name), everyMs, logger, what, round);
  }

  /**
   * Whatever leads stops its leadership once its last round is over (before the application's
   * shutdown): this gives up any lead left before the pool closes (it waits for the sessions).
   */
  async onApplicationShutdown(): Promise<void> {
    await Promise.all(this.made.map((leadership) => leadership.stop()));
  }
}
