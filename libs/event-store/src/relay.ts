import { jetstream, jetstreamManager } from '@nats-io/jetstream';
import { headers, type NatsConnection } from '@nats-io/transport-node';
import type pg from 'pg';
import { aggregateOf, eventStreamName, eventSubject, isUuid, type EventEnvelope } from '#libs/contracts';
import { sqlIdentifier } from './database.js';
import { toRecordedEvent, type EventStore, type RecordedEvent } from './event-store.js';
import { ensureEventStream, isMissing } from './jetstream.js';
import { Leadership } from './leadership.js';
import { consoleLogger, type Logger } from './logger.js';

export interface RelayOptions {
  store: EventStore;
  /** Names the JetStream stream and subjects: `events.<service>.<aggregate>.<EventType>`. */
  service: string;
  nats: NatsConnection;
  /** The replicas of the service's stream (NATS_STREAM_REPLICAS), reconciled as the relay takes the lead; the server's default (1) when unset. */
  streamReplicas?: number;
  batchSize?: number;
  /**
   * How often to look for events when nothing woke it: appends in this process wake it at once, and
   * another replica's (whose relay is a standby) through PostgreSQL's NOTIFY on the relay's channel.
   */
  pollIntervalMs?: number;
  /** How often a standby relay tries to become the active one. */
  standbyRetryMs?: number;
  /** How often an active relay with nothing to publish looks whether its stream still holds what it published (5 s). */
  streamCheckMs?: number;
  /** Which replica's relay is active: by default the service's lock (`awan.relay.<schema>`), confirmed with a round trip to NATS. */
  leadership?: Leadership;
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

/** Before the first event. */
const START: Checkpoint = { transactionId: '0', position: 0 };

function isBefore(a: Checkpoint, b: Checkpoint): boolean {
  const [x, y] = [BigInt(a.transactionId), BigInt(b.transactionId)];
  return x < y || (x === y && a.position < b.position);
}

/**
 * Publishes a service's committed events to its JetStream stream, in order, each once per
 * checkpoint (republished after a crash, deduplicated by Nats-Msg-Id = eventId and by consumers' inboxes).
 *
 * Global positions become visible out of order (transactions commit out of order), so the cursor
 * is (transaction id, position) and only transactions older than every running one are read:
 * nothing can later appear behind the cursor. One relay per service is active, its Leadership's;
 * others wait in standby and take over when it loses it. The cursor is read and moved on the
 * leader's own session, so a relay that lost the lead cannot move it, and each message expects its
 * predecessor to be the stream's last, so one still publishing cannot put anything out of order.
 */
export class EventRelay {
  readonly name: string;
  private readonly checkpoints: string;
  private readonly batchSql: string;
  private readonly leadership: Leadership;
  private readonly logger: Logger;
  private readonly failures: NonNullable<RelayOptions['failures']>;
  private stopped = false;
  private running: Promise<void> | null = null;
  private wake: (() => void) | null = null;
  /** Whether a nudge ends the wait under way: not a failure's pause. */
  private wakeOnNudge = false;
  private nudged = false;
  /** How soon to look again when nothing was there: short after a nudge, then longer up to the poll interval. */
  private retryMs: number;
  private unsubscribe: (() => void) | null = null;
  /** The stream's last sequence as this relay left it; null until read from the stream (on becoming active, after a failure, once it moved without the relay). */
  private lastSequence: number | null = null;
  /** When it last read where the stream stands (Date.now()). */
  private streamReadAt = 0;
  /** Publishing since it took the lead; `active` while that lead holds. */
  private publishing = false;
  /** PostgreSQL's channel on which a standby tells the active relay of its process's appends: `awan_relay_<schema>`. */
  private readonly channel: string;
  /** The lead's session this relay LISTENs on, once it does. */
  private listening: pg.PoolClient | null = null;
  /** A standby's NOTIFY on its way, and whether appends came meanwhile (one more then, not one each). */
  private notifying = false;
  private notifyAgain = false;

  constructor(private readonly options: RelayOptions) {
    const { store } = options;
    this.name = `${options.service}-relay`;
    this.leadership = options.leadership ?? new Leadership({ pool: store.pool, key: `awan.relay.${store.schema}`, alive: () => options.nats.flush(), logger: options.logger });
    this.checkpoints = `${sqlIdentifier(store.schema)}.relay_checkpoints`;
    this.channel = `awan_relay_${store.schema}`.slice(0, 63); // PostgreSQL's longest name
    // Ordered by the table's columns: a bare `transaction_id` would name the output's text column,
    // which sorts transaction 100000 before 99999.
    this.batchSql = `
      SELECT e.transaction_id::text, e.global_position, e.event_id, e.stream_id, e.version, e.type, e.data, e.metadata, e.occurred_at
      FROM ${store.table} e
      WHERE (e.transaction_id, e.global_position) > ($1::xid8, $2::bigint)
        AND e.transaction_id < pg_snapshot_xmin(pg_current_snapshot())
      ORDER BY e.transaction_id, e.global_position
      LIMIT $3`;
    this.logger = options.logger ?? consoleLogger(this.name);
    this.retryMs = options.pollIntervalMs ?? 250;
    this.failures = options.failures ?? { failed: (error) => this.logger.error(`publishing events failed: ${error.message}`), succeeded: () => undefined };
  }

  /** Whether this relay is the service's active one (it leads, and publishes). */
  get active(): boolean {
    return this.publishing && this.leadership.leading;
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
    if (!this.active) return this.nudgeLeader();
    this.lookSoon();
  }

  private lookSoon(): void {
    this.nudged = true;
    if (this.wakeOnNudge) this.wake?.();
  }

  /**
   * A standby's process appended: the active relay, another replica's, hears of it on the relay's
   * channel (its session LISTENs) rather than at its next poll, up to pollIntervalMs later. One
   * NOTIFY at a time, and one more for whatever was appended meanwhile; a NOTIFY that fails leaves
   * the events to the poll.
   */
  private nudgeLeader(): void {
    if (this.stopped) return;
    if (this.notifying) {
      this.notifyAgain = true;
      return;
    }
    this.notifying = true;
    void this.options.store.pool.query('SELECT pg_notify($1, NULL)', [this.channel]).then(
      () => undefined,
      () => undefined,
    ).finally(() => {
      this.notifying = false;
      if (this.notifyAgain) {
        this.notifyAgain = false;
        this.nudgeLeader();
      }
    });
  }

  private readonly onNotification = (message: pg.Notification) => {
    if (message.channel !== this.channel || !this.active) return;
    this.lookSoon();
  };

  /** The lead's session LISTENs on the relay's channel: standbys' appends wake it. */
  private async listen(session: pg.PoolClient): Promise<void> {
    if (this.listening === session) return;
    this.listening?.removeListener('notification', this.onNotification);
    this.listening = null;
    session.removeListener('notification', this.onNotification); // where a LISTEN failed before
    session.on('notification', this.onNotification);
    await session.query(`LISTEN ${sqlIdentifier(this.channel)}`);
    this.listening = session;
  }

  private async run(): Promise<void> {
    let checkpoint: Checkpoint | null = null;
    /** The lead this relay publishes under (when it began): another replica may have published since an earlier one. */
    let term = 0;
    while (!this.stopped) {
      try {
        if (!(await this.leadership.check())) {
          this.publishing = false;
          await this.sleep(this.options.standbyRetryMs ?? 1000);
          continue;
        }
        if (!this.publishing || term !== this.leadership.since) {
          // Taking the lead: where the last leader left the cursor, and the stream.
          this.publishing = false;
          await this.listen(this.leadership.client);
          checkpoint = await this.readCheckpoint(this.leadership.client);
          this.lastSequence = null;
          term = this.leadership.since;
          this.publishing = true;
          this.logger.debug?.('active: publishing events');
        }
        checkpoint = await this.publishBatch(this.leadership.client, checkpoint!);
      } catch (error) {
        // Still the leader, it tries again where the stream stands; a session that ended, or NATS
        // lost for good, has cost it the lead, and a standby takes over.
        this.failures.failed(error as Error);
        this.lastSequence = null;
        // Appends do not cut it short: through an outage, they would each bring a retry.
        await this.sleep(1000, { untilNudged: false });
      }
    }
    this.publishing = false;
    await this.leadership.stop();
  }

  /**
   * Publishes the next batch and moves the checkpoint on the lead's own session: a relay that lost
   * the lead cannot move it. Waits for the next poll (or a nudge) when nothing is there.
   */
  private async publishBatch(client: pg.PoolClient, checkpoint: Checkpoint): Promise<Checkpoint> {
    // A nudge may come before its events can be read (an append inside a caller's transaction
    // not yet committed, or held behind an older open transaction): look again soon, then less often.
    if (this.nudged) this.retryMs = 2;
    this.nudged = false;
    if (this.lastSequence === null) checkpoint = await this.resumeFromStream(client, checkpoint);
    const pollIntervalMs = this.options.pollIntervalMs ?? 250;
    const { rows } = await client.query(this.batchSql, [checkpoint.transactionId, checkpoint.position, this.options.batchSize ?? 500]);
    if (rows.length === 0) {
      await this.checkStreamWhenDue();
      this.failures.succeeded(); // nothing waits: nothing is failing
      await this.sleep(Math.min(this.retryMs, pollIntervalMs));
      this.retryMs = Math.min(this.retryMs * 2, pollIntervalMs);
      return checkpoint;
    }
    const events = rows.map(toRecordedEvent);
    await this.publish(events);
    await this.options.onPublished?.(events);
    const last = rows[rows.length - 1];
    const next = { transactionId: last.transaction_id, position: Number(last.global_position) };
    await this.saveCheckpoint(client, next);
    this.failures.succeeded();
    return next;
  }

  private async saveCheckpoint(client: pg.PoolClient, checkpoint: Checkpoint): Promise<void> {
    await client.query(
      `INSERT INTO ${this.checkpoints} (relay, transaction_id, global_position) VALUES ($1, $2::xid8, $3)
       ON CONFLICT (relay) DO UPDATE SET transaction_id = excluded.transaction_id,
         global_position = excluded.global_position, updated_at = now()`,
      [this.name, checkpoint.transactionId, checkpoint.position],
    );
  }

  /**
   * Where the stream stands says where publishing goes on: after the event that is its last
   * message. That is the checkpoint, or an event past it (a relay died between its PubAcks and
   * moving the checkpoint). A stream that is empty, or ends before the checkpoint, lost what was
   * published (deleted, on a NATS that lost its store, restored from an older copy; a lost stream
   * is made again here): what it lacks is published again, and consumers' inboxes drop what they
   * had handled. A last message that is not one of this store's events, or cannot be read, leaves
   * the checkpoint as it is.
   */
  private async resumeFromStream(client: pg.PoolClient, checkpoint: Checkpoint): Promise<Checkpoint> {
    const { nats, service, streamReplicas } = this.options;
    const stream = await ensureEventStream(nats, service, streamReplicas);
    const lastSequence = stream.state.last_seq;
    const resumed = lastSequence === 0 ? START : ((await this.eventAt(client, stream.config.name, lastSequence)) ?? checkpoint);
    const behind = isBefore(resumed, checkpoint);
    if (behind) {
      this.logger.warn(`stream ${stream.config.name} lacks events published before (it ends at sequence ${lastSequence}): publishing them again; consumers' inboxes drop those they handled`);
    }
    if (behind || isBefore(checkpoint, resumed)) await this.saveCheckpoint(client, resumed);
    this.lastSequence = lastSequence;
    this.streamReadAt = Date.now();
    return resumed;
  }

  /** Where the stream's message `seq` stands in the store's order, if it is one of the store's events. */
  private async eventAt(client: pg.PoolClient, stream: string, seq: number): Promise<Checkpoint | null> {
    const jsm = await jetstreamManager(this.options.nats);
    const eventId = (await jsm.streams.getMessage(stream, { seq }).catch(() => null))?.header.get('Nats-Msg-Id');
    if (!isUuid(eventId)) return null;
    const { rows: [event] } = await client.query<{ transaction_id: string; global_position: string }>(
      `SELECT transaction_id::text, global_position FROM ${this.options.store.table} WHERE event_id = $1`,
      [eventId],
    );
    if (!event) this.logger.warn(`stream ${stream} ends with event ${eventId}, which this database does not hold: restored to an earlier moment? See "Backing up Awan" in docs/operations.md`);
    return event ? { transactionId: event.transaction_id, position: Number(event.global_position) } : null;
  }

  /** With nothing to publish, now and then: a stream that moved on without it (lost, made again) is read again before the next publish. */
  private async checkStreamWhenDue(): Promise<void> {
    if (Date.now() - this.streamReadAt < (this.options.streamCheckMs ?? 5000)) return;
    this.streamReadAt = Date.now();
    const jsm = await jetstreamManager(this.options.nats);
    const stream = await jsm.streams.info(eventStreamName(this.options.service)).catch((error: unknown) => {
      if (isMissing(error)) return null;
      throw error;
    });
    if (stream?.state.last_seq !== this.lastSequence) this.lastSequence = null;
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
   * the first message expects the stream's last sequence as the relay left it, and each after it
   * its predecessor's id as the stream's last message id, so when one is lost none after it is
   * stored (not even where another message took the lost one's place, as an expected sequence
   * would let it). After a failure, or on becoming active, the relay first learns from the stream
   * where it stands (resumeFromStream). The batch counts only when every PubAck is in.
   */
  private async publish(events: RecordedEvent[]): Promise<void> {
    const js = jetstream(this.options.nats);
    const base = this.lastSequence!;
    try {
      const acks = await Promise.all(
        events.map((event, i) => {
          const { globalPosition: _position, ...envelope } = event;
          const h = headers();
          h.set('Awan-Event-Type', event.type);
          return js.publish(
            eventSubject(this.options.service, aggregateOf(event.streamId), event.type),
            JSON.stringify(envelope satisfies EventEnvelope),
            { msgID: event.eventId, headers: h, expect: i === 0 ? { lastSequence: base } : { lastMsgID: events[i - 1].eventId } },
          );
        }),
      );
      this.lastSequence = acks.at(-1)!.seq;
      // What a handover's order rests on, for whoever has to see it again.
      this.logger.debug?.(`published ${events.length} (${named(events[0])} to ${named(events.at(-1)!)}) after stream sequence ${base}: `
        + `${acks.filter((ack) => ack.duplicate).length} stored already, the last at ${this.lastSequence}`);
    } catch (error) {
      this.lastSequence = null; // where the stream stands is read again before the next attempt
      throw error;
    }
  }

  /** Waits `ms`, or until stopped, or (unless `untilNudged` is false) until nudged. */
  private sleep(ms: number, { untilNudged = true } = {}): Promise<void> {
    if (this.stopped || (untilNudged && this.active && this.nudged)) return Promise.resolve();
    this.wakeOnNudge = untilNudged;
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

/** An event as a relay's log names it: its stream and version. */
const named = (event: RecordedEvent) => `${event.streamId}@${event.version}`;
