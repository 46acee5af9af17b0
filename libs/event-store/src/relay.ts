import { jetstream, jetstreamManager } from '@nats-io/jetstream';
import { headers, type NatsConnection } from '@nats-io/transport-node';
import type pg from 'pg';
import { aggregateOf, eventStreamName, eventSubject, type EventEnvelope } from '#libs/contracts';
import { sqlIdentifier } from './database.js';
import { toRecordedEvent, type EventStore, type RecordedEvent } from './event-store.js';
import { ensureEventStream } from './jetstream.js';
import { consoleLogger, type Logger } from './logger.js';

export interface RelayOptions {
  store: EventStore;
  /** Names the JetStream stream and subjects: `events.<service>.<aggregate>.<EventType>`. */
  service: string;
  nats: NatsConnection;
  batchSize?: number;
  /** How often to look for events appended by other replicas; appends in this process wake it at once. */
  pollIntervalMs?: number;
  /** How often a standby relay tries to become the active one. */
  standbyRetryMs?: number;
  /** Called once a batch is acknowledged by JetStream, before the checkpoint moves. */
  onPublished?: (events: RecordedEvent[]) => void | Promise<void>;
  logger?: Logger;
  /** What reports publishing failing and going on again (a service logs an outage once); each failure an error otherwise. */
  failures?: { failed(error: Error): void; succeeded(): void };
}

interface Checkpoint {
  transactionId: string;
  position: number;
}

/**
 * Publishes a service's committed events to its JetStream stream, in order, each once per
 * checkpoint (republished after a crash, deduplicated by Nats-Msg-Id = eventId and by consumers' inboxes).
 *
 * Global positions become visible out of order (transactions commit out of order), so the cursor
 * is (transaction id, position) and only transactions older than every running one are read:
 * nothing can later appear behind the cursor. One relay per service is active, by advisory lock;
 * others wait in standby and take over when its session ends.
 */
export class EventRelay {
  readonly name: string;
  private readonly checkpoints: string;
  private readonly batchSql: string;
  private readonly lockKey: string;
  private readonly logger: Logger;
  private readonly failures: NonNullable<RelayOptions['failures']>;
  private stopped = false;
  private running: Promise<void> | null = null;
  private wake: (() => void) | null = null;
  private nudged = false;
  private unsubscribe: (() => void) | null = null;
  /** The stream's last sequence as this relay left it; null until read from the stream (on becoming active, after a failure). */
  private lastSequence: number | null = null;
  active = false;

  constructor(private readonly options: RelayOptions) {
    const { store } = options;
    this.name = `${options.service}-relay`;
    this.lockKey = `awan.relay.${store.schema}`;
    this.checkpoints = `${sqlIdentifier(store.schema)}.relay_checkpoints`;
    this.batchSql = `
      SELECT transaction_id::text, global_position, event_id, stream_id, version, type, data, metadata, occurred_at
      FROM ${store.table}
      WHERE (transaction_id, global_position) > ($1::xid8, $2::bigint)
        AND transaction_id < pg_snapshot_xmin(pg_current_snapshot())
      ORDER BY transaction_id, global_position
      LIMIT $3`;
    this.logger = options.logger ?? consoleLogger(this.name);
    this.failures = options.failures ?? { failed: (error) => this.logger.error(`publishing events failed: ${error.message}`), succeeded: () => undefined };
  }

  start(): void {
    if (this.running) return;
    this.stopped = false;
    this.unsubscribe = this.options.store.onAppended(() => this.nudge());
    this.running = this.run();
  }

  async stop(): Promise<void> {
    this.stopped = true;
    this.unsubscribe?.();
    this.wake?.();
    await this.running;
    this.running = null;
  }

  /**
   * Look for new events now rather than at the next poll. A standby's wait goes on: woken by each
   * append of its process, it would ask for the lead again and again (a query per append).
   */
  nudge(): void {
    if (!this.active) return;
    this.nudged = true;
    this.wake?.();
  }

  private async run(): Promise<void> {
    while (!this.stopped) {
      const client = await this.tryLock();
      if (!client) {
        await this.sleep(this.options.standbyRetryMs ?? 1000);
        continue;
      }
      let failure: Error | undefined;
      try {
        this.active = true;
        this.lastSequence = null;
        this.logger.debug?.('active: publishing events');
        await this.publishUntilStopped(client);
      } catch (error) {
        failure = error as Error;
        this.failures.failed(failure);
      } finally {
        this.active = false;
        if (!failure) await client.query('SELECT pg_advisory_unlock(hashtextextended($1, 0))', [this.lockKey]).catch(() => undefined);
        // A failed session is discarded: its lock goes with it, so a standby may take over.
        client.release(failure);
      }
      if (failure) await this.sleep(1000);
    }
  }

  private async tryLock(): Promise<pg.PoolClient | null> {
    let client: pg.PoolClient | undefined;
    try {
      client = await this.options.store.pool.connect();
      const { rows } = await client.query<{ locked: boolean }>(
        'SELECT pg_try_advisory_lock(hashtextextended($1, 0)) AS locked',
        [this.lockKey],
      );
      if (rows[0].locked) return client;
      client.release();
    } catch (error) {
      client?.release(error as Error);
      this.failures.failed(new Error(`cannot reach PostgreSQL: ${(error as Error).message}`));
    }
    return null;
  }

  /** Reads and checkpoints on the lock's own session: a relay that lost its lock cannot move the checkpoint. */
  private async publishUntilStopped(client: pg.PoolClient): Promise<void> {
    await ensureEventStream(this.options.nats, this.options.service);
    let checkpoint = await this.readCheckpoint(client);
    const batchSize = this.options.batchSize ?? 500;
    const pollIntervalMs = this.options.pollIntervalMs ?? 250;
    let retryMs = pollIntervalMs;
    while (!this.stopped) {
      // A nudge may come before its events can be read (an append inside a caller's transaction
      // not yet committed, or held behind an older open transaction): look again soon, then less often.
      if (this.nudged) retryMs = 2;
      this.nudged = false;
      const { rows } = await client.query(this.batchSql, [checkpoint.transactionId, checkpoint.position, batchSize]);
      if (rows.length === 0) {
        this.failures.succeeded(); // nothing waits: nothing is failing
        await this.sleep(Math.min(retryMs, pollIntervalMs));
        retryMs *= 2;
        continue;
      }
      const events = rows.map(toRecordedEvent);
      await this.publish(events);
      await this.options.onPublished?.(events);
      const last = rows[rows.length - 1];
      checkpoint = { transactionId: last.transaction_id, position: Number(last.global_position) };
      await client.query(
        `INSERT INTO ${this.checkpoints} (relay, transaction_id, global_position) VALUES ($1, $2::xid8, $3)
         ON CONFLICT (relay) DO UPDATE SET transaction_id = excluded.transaction_id,
           global_position = excluded.global_position, updated_at = now()`,
        [this.name, checkpoint.transactionId, checkpoint.position],
      );
      this.failures.succeeded();
    }
  }

  private async readCheckpoint(client: pg.PoolClient): Promise<Checkpoint> {
    const { rows } = await client.query<{ transaction_id: string; global_position: string }>(
      `SELECT transaction_id::text, global_position FROM ${this.checkpoints} WHERE relay = $1`,
      [this.name],
    );
    return rows[0]
      ? { transactionId: rows[0].transaction_id, position: Number(rows[0].global_position) }
      : { transactionId: '0', position: 0 };
  }

  /**
   * Publishes a batch pipelined on one connection, in order, and keeps that order whatever fails:
   * each message expects the stream's last sequence its predecessor leaves, so when one is lost
   * none after it is stored. After a failure, or on becoming active, the relay first learns from
   * the stream where it stands: the stream's last message, if it is one of the batch's, ends the
   * part already stored (a previous attempt's, even past the duplicate window), and the rest
   * follows it. The batch counts only when every PubAck is in.
   */
  private async publish(events: RecordedEvent[]): Promise<void> {
    const js = jetstream(this.options.nats);
    let pending = events;
    if (this.lastSequence === null) {
      const stream = eventStreamName(this.options.service);
      const jsm = await jetstreamManager(this.options.nats);
      const lastSequence = (await jsm.streams.info(stream)).state.last_seq;
      const last = lastSequence > 0 ? await jsm.streams.getMessage(stream, { seq: lastSequence }).catch(() => null) : null;
      const stored = events.findIndex((event) => event.eventId === last?.header.get('Nats-Msg-Id'));
      pending = events.slice(stored + 1);
      this.lastSequence = lastSequence;
    }
    const base = this.lastSequence;
    try {
      const acks = await Promise.all(
        pending.map((event, i) => {
          const { globalPosition: _position, ...envelope } = event;
          const h = headers();
          h.set('Awan-Event-Type', event.type);
          return js.publish(
            eventSubject(this.options.service, aggregateOf(event.streamId), event.type),
            JSON.stringify(envelope satisfies EventEnvelope),
            { msgID: event.eventId, headers: h, expect: { lastSequence: base + i } },
          );
        }),
      );
      if (acks.length > 0) this.lastSequence = acks.at(-1)!.seq;
    } catch (error) {
      this.lastSequence = null; // where the stream stands is read again before the next attempt
      throw error;
    }
  }

  private sleep(ms: number): Promise<void> {
    if (this.stopped || (this.active && this.nudged)) return Promise.resolve();
    return new Promise((resolve) => {
      const timer = setTimeout(done, ms);
      function done() {
        clearTimeout(timer);
        resolve();
      }
      this.wake = () => {
        this.wake = null;
        done();
      };
    });
  }
}
