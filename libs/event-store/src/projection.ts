import type { Sql } from './database.js';
import { withTransaction } from './database.js';
import type { EventStore, RecordedEvent } from './event-store.js';

/**
 * A read model the owning service queries, kept in the same transaction as the append
 * that changes it, and rebuildable from the events at any time.
 */
export interface Projection {
  readonly name: string;
  /** The event types it folds; no other event reaches `apply`. */
  readonly eventTypes: readonly string[];
  /**
   * `before`: where the projection keeps the state of the decider that decided the append (`keeps`), that
   * state as of just before `event`, the append's first, so that it need not read it back from its row.
   */
  apply(tx: Sql, event: RecordedEvent, before?: unknown): Promise<void>;
  /** Folds a batch of events in log order (an append to many streams) in fewer statements than one each; without it, apply folds them one by one. */
  applyAll?(tx: Sql, events: readonly RecordedEvent[]): Promise<void>;
  /** Empties the read model before a rebuild. */
  clear(tx: Sql): Promise<void>;
  /**
   * Where the read model keeps each stream's state as `decider` folds it (every event of its streams
   * folded), a command decides from that row instead of folding the stream (readState): a long-lived
   * stream costs a command no more than a new one.
   */
  readonly keeps?: KeptState;
}

export interface KeptState {
  /** The decider whose state is kept (compared by identity). */
  readonly decider: object;
  /**
   * The stream's kept state and the stream's version, read in one statement; null where there is none,
   * or where it is not the state of the stream's last event (the stream is folded then).
   */
  read(sql: Sql, streamId: string): Promise<{ state: unknown; version: number } | null>;
}

const REBUILD_BATCH = 1000;

/**
 * Empties a projection and folds every event of its types into it again, in one
 * transaction that holds appends back, so the rebuilt model is never missing a fact.
 */
export async function rebuildProjection(store: EventStore, projectionName: string): Promise<number> {
  const projection = store.projections.find((p) => p.name === projectionName);
  if (!projection) {
    const known = store.projections.map((p) => p.name).join(', ') || 'none';
    throw new Error(`no projection "${projectionName}" in schema ${store.schema} (known: ${known})`);
  }
  return withTransaction(store.pool, async (tx) => {
    // An operator's rebuild may take long over a large log: its transaction alone goes without the timeouts.
    await tx.query("SET LOCAL lock_timeout = 0; SET LOCAL statement_timeout = 0; SET LOCAL idle_in_transaction_session_timeout = 0");
    // SHARE mode lets readers on but makes appends wait until the rebuild commits.
    await tx.query(`LOCK TABLE ${store.table} IN SHARE MODE`);
    await projection.clear(tx);
    let applied = 0;
    let after = 0;
    for (;;) {
      const batch = await store.readAll(tx, { afterPosition: after, limit: REBUILD_BATCH, types: projection.eventTypes });
      for (const event of batch) await projection.apply(tx, event);
      applied += batch.length;
      if (batch.length < REBUILD_BATCH) return applied;
      after = batch[batch.length - 1].globalPosition;
    }
  });
}
