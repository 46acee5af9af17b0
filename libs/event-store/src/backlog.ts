import { jetstreamManager } from '@nats-io/jetstream';
import type { NatsConnection } from '@nats-io/transport-node';
import type pg from 'pg';
import { eventStreamName } from '#libs/contracts';
import { sqlIdentifier, withTransaction } from './database.js';
import type { EventStore } from './event-store.js';
import { isMissing } from './jetstream.js';

/**
 * A read for a metrics scrape, bounded on the server too (statement_timeout), so a scrape that
 * stopped waiting leaves no query working on after it.
 */
export function readWithin<R extends pg.QueryResultRow>(pool: pg.Pool, timeoutMs: number, text: string, values: unknown[] = []): Promise<R[]> {
  return withTransaction(pool, async (tx) => {
    await tx.query(`SET LOCAL statement_timeout = ${Math.max(1, Math.floor(timeoutMs))}`);
    return (await tx.query<R>(text, values)).rows;
  });
}

export interface RelayBacklog {
  /** Events appended and not yet published by the relay `relay`. */
  unpublished: number;
  /** How long the oldest of them has waited, in seconds (0 when there are none). */
  oldestAgeSeconds: number;
}

/** What the service's relay has yet to publish, from its checkpoint (the same for every replica, whichever relay is active). */
export async function readRelayBacklog(store: EventStore, relay: string, timeoutMs: number): Promise<RelayBacklog> {
  const [row] = await readWithin<{ unpublished: string; oldest: number | null }>(
    store.pool,
    timeoutMs,
    `WITH checkpoint AS (
       SELECT transaction_id, global_position FROM (
         SELECT transaction_id, global_position, 0 AS rank FROM ${sqlIdentifier(store.schema)}.relay_checkpoints WHERE relay = $1
         UNION ALL SELECT '0'::xid8, 0, 1
       ) found ORDER BY rank LIMIT 1
     )
     SELECT count(*) AS unpublished, extract(epoch FROM now() - min(e.occurred_at))::float8 AS oldest
     FROM ${store.table} e, checkpoint c
     WHERE (e.transaction_id, e.global_position) > (c.transaction_id, c.global_position)`,
    [relay],
  );
  return { unpublished: Number(row.unpublished), oldestAgeSeconds: Math.max(0, row.oldest ?? 0) };
}

export interface ConsumerBacklog {
  /** Events of its stream not yet delivered to it. */
  pending: number;
  /** Delivered and not yet acknowledged (being handled, or waiting out a backoff). */
  ackPending: number;
  /** Of those, delivered more than once. */
  redelivered: number;
}

/** JetStream's view of a durable consumer of `source`'s events. */
export async function readConsumerBacklog(nats: NatsConnection, source: string, name: string): Promise<ConsumerBacklog> {
  const info = await (await jetstreamManager(nats)).consumers.info(eventStreamName(source), name);
  return { pending: info.num_pending, ackPending: info.num_ack_pending, redelivered: info.num_redelivered };
}

/** The events a service's consumers gave up on, by consumer: what its dead-letter stream holds under `deadletter.<service>.<consumer>`. */
export async function readDeadLetters(nats: NatsConnection, service: string): Promise<Map<string, number>> {
  const jsm = await jetstreamManager(nats);
  const prefix = `deadletter.${service}.`;
  const info = await jsm.streams.info(`${eventStreamName(service)}_DEADLETTER`, { subjects_filter: `${prefix}>` }).catch((error: unknown) => {
    // Made by a consumer's first start: before it, nothing was dead-lettered.
    if (isMissing(error)) return null;
    throw error;
  });
  return new Map(Object.entries(info?.state.subjects ?? {}).map(([subject, count]) => [subject.slice(prefix.length), count]));
}
