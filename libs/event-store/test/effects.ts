import type { EventEnvelope } from '#libs/contracts';
import type { Migration, Sql } from '#libs/event-store';

/** A side effect that shows every time it happens: one row per application, no uniqueness. */
export const effectsMigration: Migration = {
  id: '1001-effects',
  sql: 'CREATE TABLE effects (event_id uuid NOT NULL, applied_at timestamptz NOT NULL DEFAULT clock_timestamp())',
};

export async function recordEffect(event: EventEnvelope, tx: Sql): Promise<void> {
  await tx.query('INSERT INTO effects (event_id) VALUES ($1)', [event.eventId]);
}
