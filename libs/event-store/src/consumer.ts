import { setTimeout as sleep } from 'node:timers/promises';
import { AckPolicy, DeliverPolicy, jetstream, jetstreamManager, type Consumer, type ConsumerMessages, type JsMsg } from '@nats-io/jetstream';
import { headers, nanos, type NatsConnection } from '@nats-io/transport-node';
import { SpanKind } from '@opentelemetry/api';
import type pg from 'pg';
import { deadLetterSubject, eventStreamName, type EventEnvelope } from '#libs/contracts';
import { contextOfCarrier, inSpan } from '#libs/tracing';
import { sqlIdentifier, withTransaction, type Sql } from './database.js';
import { HeldEvents } from './held-events.js';
import { ensureDeadLetterStream, ensureEventStream, isMissing } from './jetstream.js';
import { consoleLogger, type Logger } from './logger.js';

export interface ConsumerOptions {
  pool: pg.Pool;
  /** The consuming service's schema, which holds its inbox and the read models it keeps. */
  schema: string;
  /** The consuming service: names its dead-letter subject. */
  service: string;
  nats: NatsConnection;
  /** The replicas of the streams it makes and of itself (NATS_STREAM_REPLICAS), reconciled at start; the server's default (1) when unset. */
  streamReplicas?: number;
  /** Durable consumer name, unique within the source's stream; replicas using it share the work. */
  name: string;
  /** The service whose events it reads, e.g. `compute` (stream COMPUTE). */
  source: string;
  /** Narrows the events, e.g. `events.compute.instance.>`; all of the source's by default. */
  filterSubject?: string;
  /** The event types `handle` is for; others under the filter are acknowledged without it. All by default. */
  eventTypes?: readonly string[];
  /** The effect, in the same transaction as the inbox record: it commits once per event. */
  handle(event: EventEnvelope, tx: Sql): Promise<void>;
  /**
   * false for an effect that is idempotent by itself and slow (a call to a host agent): it runs
   * outside any transaction, given the pool, because an open transaction would hold the relay
   * back (it publishes only behind the oldest running transaction).
   */
  inbox?: boolean;
  /** Deliveries before an event goes to the dead-letter subject: by default, as many as fail for half an hour (RETRIED_FOR_MS). */
  maxDeliver?: number;
  /** Delay before the n-th redelivery after a failure; the last value repeats. */
  backoffMs?: number[];
  /** How long a delivery may go unacknowledged (a crashed consumer) before it is redelivered; one held (running or waiting its turn) is kept alive. */
  ackWaitMs?: number;
  /**
   * Events handled at once; events of one stream are always handled one after another, in order.
   * A replica holds the events of at most twice this many streams (see HeldEvents).
   */
  concurrency?: number;
  /** Called after the effect committed and before the ack. */
  onHandled?: (event: EventEnvelope) => void | Promise<void>;
  logger?: Logger;
}

/** The event a message carries, or why it carries none (such a message is dead-lettered). */
function readEvent(msg: JsMsg): EventEnvelope | Error {
  try {
    const event = msg.json<EventEnvelope>();
    return event?.eventId ? event : new Error('message has no eventId');
  } catch (error) {
    return error as Error;
  }
}

/**
 * Whether an event that carries no trace context begins a trace of its own: where the system's own
 * work (a timer, a job) appended it with nothing before it. One a caller's operation caused, or
 * another event did, is of work its start left out of tracing (a request the gateway's sampler did
 * not pick), and its effect is not traced.
 */
function beginsWork(event: EventEnvelope): boolean {
  return event.metadata.actor.kind === 'system' && event.metadata.causationId === null;
}

const DEFAULT_BACKOFF_MS = [1000, 5000, 15_000, 60_000];
/**
 * How long an event that keeps failing is retried before it is dead-lettered, unless its consumer
 * says otherwise: longer than a PostgreSQL failover or a NATS server's restart takes, so an outage
 * of minutes sends nothing to the dead letters, which only an operator can replay.
 */
export const RETRIED_FOR_MS = 30 * 60_000;

/**
 * The deliveries that keep an event that fails again and again (retried after `backoffMs`) from being
 * dead-lettered before `ms` have passed: once its backoffs run out, each delivery waits the last one.
 */
export function deliveriesWithin(ms: number, backoffMs: readonly number[]): number {
  return backoffMs.length + Math.ceil(ms / backoffMs.at(-1)!);
}

/**
 * A durable JetStream consumer with an inbox: delivery is at least once, the effect exactly once.
 * A failing event is retried with backoff and, after `maxDeliver` deliveries, dead-lettered.
 */
export class EventConsumer {
  private readonly inbox: string;
  private readonly logger: Logger;
  /** The fetch under way, closed when the consumer stops. */
  private batch: ConsumerMessages | null = null;
  private held: HeldEvents<JsMsg> | null = null;
  private running: Promise<void> | null = null;
  private stopped = false;
  /** Ends the pause between two consumptions when the consumer stops. */
  private resting = new AbortController();

  constructor(private readonly options: ConsumerOptions) {
    this.inbox = `${sqlIdentifier(options.schema)}.inbox`;
    this.logger = options.logger ?? consoleLogger(`consumer ${options.name}`);
  }

  get maxDeliver(): number {
    return this.options.maxDeliver ?? deliveriesWithin(RETRIED_FOR_MS, this.backoffMs);
  }

  private get backoffMs(): readonly number[] {
    return this.options.backoffMs ?? DEFAULT_BACKOFF_MS;
  }

  /** Creates the durable consumer when missing and starts handling its events. */
  async start(): Promise<void> {
    const consumer = await this.declare({ update: true });
    this.stopped = false;
    this.resting = new AbortController();
    this.held = new HeldEvents<JsMsg>(this.options.concurrency ?? 1, (error, msg) => this.logger.error(`event #${msg.seq} not settled, it will be redelivered: ${error.message}`));
    this.running = this.consumeUntilStopped(consumer, this.held);
  }

  /**
   * The durable consumer, made where missing with the streams it reads and dead-letters to: at
   * start (`update`: an existing one takes this configuration), and after a fetch failed, where its
   * stream was lost (deleted, or on a NATS that lost its store) and took it along. Made again, it
   * reads the stream from its first message, which the relay publishes again (EventRelay).
   */
  private async declare({ update }: { update: boolean }): Promise<Consumer> {
    const { nats, name, source, streamReplicas } = this.options;
    const stream = eventStreamName(source);
    // The consumer may start before the producer ever did; the stream it reads is made the same way either does.
    await ensureEventStream(nats, source, streamReplicas);
    await ensureDeadLetterStream(nats, this.options.service, streamReplicas);
    const jsm = await jetstreamManager(nats);
    const config = {
      durable_name: name,
      ack_policy: AckPolicy.Explicit,
      deliver_policy: DeliverPolicy.All,
      filter_subject: this.options.filterSubject ?? `events.${source}.>`,
      ack_wait: nanos(this.options.ackWaitMs ?? 30_000),
      // The bound is enforced here, not by the server, so an event is dead-lettered rather than
      // silently parked when its last delivery fails or the dead-letter publish itself fails.
      max_deliver: -1,
      // What one consumer (all its replicas) holds unacknowledged; each replica holds far fewer (HeldEvents).
      max_ack_pending: 1000,
      // As many as its stream: a consumer on one server would stop its stream's deliveries with that server.
      ...(streamReplicas ? { num_replicas: streamReplicas } : {}),
    };
    const exists = await jsm.consumers.info(stream, name).then(() => true, (error: unknown) => {
      if (isMissing(error)) return false;
      throw error;
    });
    if (!exists) {
      await jsm.consumers.add(stream, config);
      if (!update) this.logger.warn(`gone (with its stream ${stream}, lost?): made again, it reads the stream from its first message`);
    } else if (update) await jsm.consumers.update(stream, name, config);
    return jetstream(nats).consumers.get(stream, name);
  }

  /** Gives back at once the events it has not begun, and resolves once those it runs are settled. */
  async stop(): Promise<void> {
    this.stopped = true;
    this.resting.abort();
    void this.held?.stop();
    await this.batch?.close();
    await this.running;
    this.running = null;
  }

  /**
   * Fetches what the replica has room for and hands it to `held`, until stopped. A fetch's messages
   * are all held and kept alive until settled: one left unhandled past its ack wait would be
   * redelivered, handled twice, and count deliveries it never had. The client ends a fetch on a
   * fault it deems final (a 400 from the server, heartbeats missed, the consumer deleted, the
   * connection closed); it fetches again a second later, rather than leave the service consuming
   * nothing, from the consumer made again where it is gone.
   */
  private async consumeUntilStopped(consumer: Consumer, held: HeldEvents<JsMsg>): Promise<void> {
    const keepAlive = setInterval(() => held.keepAlive(), Math.max(500, (this.options.ackWaitMs ?? 30_000) / 3));
    try {
      while (!this.stopped) {
        try {
          await held.roomToTake();
          if (this.stopped) return;
          this.batch = await consumer.fetch({ max_messages: held.room, expires: 30_000 });
          for await (const msg of this.batch) {
            const event = readEvent(msg);
            // An event it is not for is acknowledged at once: its order matters to no handler here.
            if (!(event instanceof Error) && this.options.eventTypes && !this.options.eventTypes.includes(event.type)) void this.acknowledge(msg);
            else held.take(msg, event instanceof Error ? `unreadable-${msg.seq}` : event.streamId, () => this.process(msg, event));
          }
          continue;
        } catch (error) {
          if (!this.stopped) this.logger.warn(`fetch failed, fetching again in 1 s: ${(error as Error).message}`);
        }
        // A connection closed for good (the process stopping) has nothing more to give.
        if (this.options.nats.isClosed()) return;
        await sleep(1000, undefined, { signal: this.resting.signal }).catch(() => undefined);
        if (this.stopped) return;
        // Unanswered (NATS out of reach, as the fetch was): the same consumer is fetched from again.
        consumer = await this.declare({ update: false }).catch(() => consumer);
      }
    } finally {
      this.batch = null;
      // Events it still runs are kept alive until they settle.
      await held.stop();
      clearInterval(keepAlive);
    }
  }

  private async process(msg: JsMsg, event: EventEnvelope | Error): Promise<void> {
    const delivery = msg.info.deliveryCount;
    if (event instanceof Error) return this.deadLetter(msg, event);
    // Only reached when an earlier dead-letter attempt failed.
    if (delivery > this.maxDeliver) return this.deadLetter(msg, new Error('delivery limit reached'));
    // The effect is a span of the trace the event carries on from the work that appended it, or of
    // a trace of its own where the event began the system's own work (beginsWork); else untraced.
    const span = () => ({
      name: `consume ${this.options.name} ${event.type}`,
      kind: SpanKind.CONSUMER,
      attributes: {
        'messaging.system': 'nats', 'messaging.operation.type': 'process', 'messaging.destination.name': msg.subject,
        'messaging.consumer.group.name': this.options.name, 'messaging.message.id': event.eventId, 'awan.stream.id': event.streamId, 'awan.delivery': delivery,
      },
    });
    const effect = async () => {
      if (this.options.inbox === false) {
        await this.options.handle(event, this.options.pool);
      } else {
        await withTransaction(this.options.pool, async (tx) => {
          const { rowCount } = await tx.query(
            `INSERT INTO ${this.inbox} (consumer, event_id) VALUES ($1, $2) ON CONFLICT DO NOTHING`,
            [this.options.name, event.eventId],
          );
          if (rowCount === 0) return; // handled before: a redelivery
          await this.options.handle(event, tx);
        });
      }
    };
    try {
      const parent = contextOfCarrier(event.metadata);
      await (parent || beginsWork(event) ? inSpan(span, parent, effect) : effect());
    } catch (error) {
      if (delivery >= this.maxDeliver) return this.deadLetter(msg, error as Error);
      const backoff = this.backoffMs;
      this.logger.warn(`event ${event.eventId} (${event.type}) failed on delivery ${delivery}: ${(error as Error).message}`);
      msg.nak(backoff[Math.min(delivery, backoff.length) - 1]);
      return;
    }
    await this.options.onHandled?.(event);
    await this.acknowledge(msg);
  }

  /** Acknowledges `msg`; one the server does not confirm is redelivered, which its inbox makes harmless. */
  private async acknowledge(msg: JsMsg): Promise<void> {
    await msg.ackAck().catch((error: Error) => this.logger.warn(`ack not confirmed, it will be redelivered: ${error.message}`));
  }

  private async deadLetter(msg: JsMsg, error: Error): Promise<void> {
    const h = headers();
    h.set('Awan-Error', error.message.slice(0, 1000));
    h.set('Awan-Original-Subject', msg.subject);
    h.set('Awan-Original-Sequence', String(msg.seq));
    h.set('Awan-Deliveries', String(msg.info.deliveryCount));
    const { nats, service, name, streamReplicas } = this.options;
    const publish = () => jetstream(nats).publish(deadLetterSubject(service, name), msg.data, { headers: h, msgID: `${name}:${msg.seq}` });
    try {
      // Refused where its stream was lost (no stream takes the subject): made again, and tried once more.
      await publish().catch(async () => {
        await ensureDeadLetterStream(nats, service, streamReplicas);
        return publish();
      });
      this.logger.error(`dead-lettered ${msg.subject} #${msg.seq} after ${msg.info.deliveryCount} deliveries: ${error.message}`);
      msg.term(); // no reason text: nats-server 2.9 does not parse one
    } catch (publishError) {
      this.logger.error(`cannot dead-letter ${msg.subject} #${msg.seq}, will retry: ${(publishError as Error).message}`);
      msg.nak(60_000);
    }
  }
}
