import { Logger, type OnApplicationShutdown } from '@nestjs/common';
import type { NatsConnection } from '@nats-io/transport-node';
import type pg from 'pg';
import { Leadership } from '#libs/event-store';

/**
 * What one replica of the service at a time leads (Leadership): its relay, and the jobs that must
 * not run on two replicas at once. A leader needs its database session and NATS: NATS lost even
 * for a moment, its leaderships step down at once (what it would have heard meanwhile went
 * elsewhere or nowhere), and are taken again, by it or another replica, at their next check.
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

  /** The leadership of `name` among this service's replicas (its lock: `awan.<name>.<schema>`). */
  of(name: string): Leadership {
    const leadership = new Leadership({
      pool: this.pool, key: `awan.${name}.${this.schema}`, timeoutMs: this.timeoutMs, alive: () => this.nats.flush(), logger: this.logger,
    });
    this.made.push(leadership);
    return leadership;
  }

  /**
   * Whatever leads stops its leadership once its last round is over (before the application's
   * shutdown): this gives up any lead left before the pool closes (it waits for the sessions).
   */
  async onApplicationShutdown(): Promise<void> {
    await Promise.all(this.made.map((leadership) => leadership.stop()));
  }
}
