import type pg from 'pg';
import { consoleLogger, type Logger } from './logger.js';

/** LEADER_LEASE_TIMEOUT_MS's default: how long a leader acts on its last confirmation. */
export const DEFAULT_LEADER_LEASE_TIMEOUT_MS = 5000;

export interface LeadershipOptions {
  pool: pg.Pool;
  /** What is led, unique in the database (name a service's schema in it): the advisory lock's key. */
  key: string;
  /** How long the leader acts on its last confirmation; it confirms at least every third of it. */
  timeoutMs?: number;
  /** What else the leader needs to act, confirmed with its session: resolves while it has it (NATS: a round trip). */
  alive?: () => Promise<unknown>;
  logger?: Logger;
}

/**
 * One replica at a time leads `key`: the one whose database session holds the key's session-level
 * advisory lock. A session is held for it alone, and whatever leads asks `check()` before it acts.
 *
 * The leader confirms the lead at each check (at most every third of the timeout): its session
 * answers, and `alive` resolves, within the timeout. It acts only while its last confirmation
 * began less than the timeout ago (`leading`), and drops its session at once when a confirmation
 * fails, the session ends (pg_terminate_backend, the server gone) or `lose` says so (NATS lost).
 * PostgreSQL releases the lock with the session, and a standby's next check takes the lead (the
 * replica that lost it tries again only after the timeout, so a sound one comes first). A
 * leader cut off from the server stops on its own once its timeout has passed; the session's
 * keepalives make the server end it only after it has heard nothing for as long, so the two never
 * act at once. A round of work begun while leading finishes: what is led must be safe to repeat
 * (the decider, a checkpoint written on `client`).
 */
export class Leadership {
  readonly key: string;
  private readonly timeoutMs: number;
  private readonly logger: Logger;
  private session: pg.PoolClient | null = null;
  /** When the last confirmation that succeeded began. */
  private confirmedAt = 0;
  private checking: Promise<boolean> | null = null;
  private stopped = false;
  /** A replica that lost the lead tries for it again only after this: another one, sound, takes it first. */
  private retryAfter = 0;
  private readonly onSessionError = (error: Error) => this.lose(`its database session ended: ${error.message}`);
  private ledSince = 0;

  constructor(private readonly options: LeadershipOptions) {
    this.key = options.key;
    this.timeoutMs = options.timeoutMs ?? DEFAULT_LEADER_LEASE_TIMEOUT_MS;
    this.logger = options.logger ?? consoleLogger(options.key);
  }

  /** Since when this replica has led without a break (0 while it does not): each lead taken has its own. */
  get since(): number {
    return this.ledSince;
  }

  /** Whether this replica leads, as last confirmed within the timeout (no round trip: `check` makes them). */
  get leading(): boolean {
    return this.session !== null && Date.now() - this.confirmedAt < this.timeoutMs;
  }

  /** The lock's own session while leading: what is written on it fails once the lead is lost. */
  get client(): pg.PoolClient {
    if (!this.session) throw new Error(`not leading ${this.key}`);
    return this.session;
  }

  /**
   * Whether this replica leads now: the leader confirms its lead, a standby tries to take it.
   * False while another replica leads; rejects when it cannot tell (PostgreSQL or `alive` failing),
   * having dropped the lead if it had it.
   */
  check(): Promise<boolean> {
    return (this.checking ??= this.confirmOrTake().finally(() => (this.checking = null)));
  }

  /** Steps down at once (its dependency lost): its session is discarded, and the lock with it. */
  lose(why: string): void {
    const session = this.session;
    if (!session) return;
    this.session = null;
    this.ledSince = 0;
    session.removeListener('error', this.onSessionError);
    session.release(true);
    if (this.stopped) return;
    this.retryAfter = Date.now() + this.timeoutMs;
    this.logger.warn(`no longer leading ${this.key}: ${why}`);
  }

  /** Steps down for good (the process stops): another replica may take the lead at once. */
  async stop(): Promise<void> {
    this.stopped = true;
    await this.checking?.catch(() => undefined);
    this.lose('stopped');
  }

  private async confirmOrTake(): Promise<boolean> {
    if (this.stopped) return false;
    if (!this.session) return this.take();
    if (Date.now() - this.confirmedAt < this.timeoutMs / 3) return true;
    const session = this.session;
    const started = Date.now();
    try {
      await this.withinTimeout(Promise.all([session.query('SELECT 1'), this.options.alive?.()]));
    } catch (error) {
      if (this.session === session) this.lose((error as Error).message);
      throw error;
    }
    if (this.session !== session) return false; // lost while confirming
    this.confirmedAt = started;
    return true;
  }

  private async take(): Promise<boolean> {
    const started = Date.now();
    if (started < this.retryAfter) return false;
    // Without what it needs to act, it does not even try.
    if (this.options.alive) await this.withinTimeout(this.options.alive());
    const session = await this.options.pool.connect();
    try {
      const { rows } = await session.query<{ locked: boolean }>('SELECT pg_try_advisory_lock(hashtextextended($1, 0)) AS locked', [this.key]);
      if (!rows[0].locked) {
        session.release();
        return false;
      }
      // A leader cut off from the server stops after the timeout: the server ends its session, and
      // frees the lock, only once it has heard nothing from it for at least as long.
      await session.query(
        `SELECT set_config('tcp_keepalives_idle', $1, false), set_config('tcp_keepalives_interval', '1', false),
                set_config('tcp_keepalives_count', '3', false), set_config('tcp_user_timeout', $2, false)`,
        [String(Math.ceil(this.timeoutMs / 1000)), String(this.timeoutMs)],
      );
    } catch (error) {
      session.release(true);
      throw error;
    }
    if (this.stopped) {
      session.release(true);
      return false;
    }
    session.on('error', this.onSessionError);
    this.session = session;
    this.confirmedAt = started;
    this.ledSince = started;
    this.logger.debug?.(`leading ${this.key}`);
    return true;
  }

  private async withinTimeout<T>(work: Promise<T>): Promise<T> {
    let timer: NodeJS.Timeout | undefined;
    try {
      return await Promise.race([
        work,
        new Promise<never>((_, reject) => (timer = setTimeout(() => reject(new Error(`no answer within ${this.timeoutMs} ms`)), this.timeoutMs))),
      ]);
    } finally {
      clearTimeout(timer);
    }
  }
}
