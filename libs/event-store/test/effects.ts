import type { NatsConnection } from '@nats-io/transport-node';
import type pg from 'pg';
import type { EventEnvelope } from '#libs/contracts';
import { EventConsumer, type ConsumerOptions, type Migration, type Sql } from '#libs/event-store';
import { quietLogger } from '#libs/testing';

/** A side effect that shows every time it happens: one row per application, no uniqueness. */
export const effectsMigration: Migration = {
  id: '1001-effects',
  sql: 'CREATE TABLE effects (event_id uuid NOT NULL, applied_at timestamptz NOT NULL DEFAULT clock_timestamp())',
};

export async function recordEffect(event: EventEnvelope, tx: Sql): Promise<void> {
  await tx.query('INSERT INTO effects (event_id) VALUES ($1)', [event.eventId]);
}

/** A started consumer named `effects` that records each event it handles into `effects`. */
export async function startEffectsConsumer(
  db: { pool: pg.Pool; schema: string },
  nats: NatsConnection,
  service: string,
  overrides: Partial<ConsumerOptions> = {},
): Promise<EventConsumer> {
  const consumer = new EventConsumer({
    pool: db.pool,
    schema: db.schema,
    service,
    nats,
    name: 'effects',
    source: service,
    handle: recordEffect,
    logger: quietLogger,
    ...overrides,
  });
  await consumer.start();
  return consumer;
}
