import { randomUUID } from 'node:crypto';
import type pg from 'pg';
import type { EventEnvelope, EventMetadata } from '#libs/contracts';
import { refuseAfterDeadline } from '#libs/deadlines';
import { withTraceContext } from '#libs/tracing';
import { afterCommit, isUniqueViolation, sqlIdentifier, withTransaction, type Sql } from './database.js';
import { ConcurrencyError } from './errors.js';
import type { Projection } from './projection.js';

/** The largest version a stream's event has (its column is a PostgreSQL integer). */
export const MAX_STREAM_VERSION = 2 ** 31 - 1;

/** An event as a decider produces it: a fact without its envelope. */
export interface DomainEvent<Type extends string = string, Data = unknown> {
  type: Type;
  data: Data;
}

/** An event as stored: the envelope plus its place in the service's log. */
export type RecordedEvent<E extends DomainEvent = DomainEvent> = EventEnvelope<E['type'], E['data']> & {
  globalPosition: number;
};

export interface AppendOptions {
  /**
   * The stream's version the events were decided on, as read from it (0: the stream must not
   * exist), or 'any'. Never one the stream has not reached: that is not refused, and would leave a gap.
   */
  expectedVersion: number | 'any';
  metadata: EventMetadata;
  /** When the facts happened; now by default. */
  occurredAt?: Date;
  /** Append inside the caller's open transaction instead of one of its own. */
  tx?: Sql;
  /**
   * The stream's state the events were decided on, as its decider folds it: handed to the listeners
   * (onAppended), so that one which needs it (a fact log) does not fold the stream again, and to a
   * projection that keeps the state of `decider` (its row need not be read back).
   */
  decidedOn?: unknown;
  /** The decider whose state `decidedOn` is. */
  decider?: object;
}

/** One stream's events for appendToStreams, at the version they were decided on; `metadata` where not the batch's own. */
export interface StreamAppend {
  streamId: string;
  events: readonly DomainEvent[];
  expectedVersion: number;
  metadata?: EventMetadata;
}

/** Hears each append of this process once committed: one stream's events, and the state they were decided on where the appender said. */
export type AppendListener = (events: readonly RecordedEvent[], decidedOn?: unknown) => void;

interface EventRow {
  global_position: string;
  event_id: string;
  stream_id: string;
  version: number;
  type: string;
  data: unknown;
  metadata: EventMetadata;
  occurred_at: Date;
}

const EVENT_COLUMNS = 'global_position, event_id, stream_id, version, type, data, metadata, occurred_at';

export function toRecordedEvent(row: EventRow): RecordedEvent {
  return {
    globalPosition: Number(row.global_position),
    eventId: row.event_id,
    type: row.type,
    streamId: row.stream_id,
    version: row.version,
    occurredAt: row.occurred_at.toISOString(),
    data: row.data,
    metadata: row.metadata,
  };
}

/**
 * A service's event store: append-only streams in its own PostgreSQL schema, with the
 * inline projections it queries updated in the same transaction as each append.
 */
export class EventStore {
  readonly table: string;
  private readonly appendSql: string;
  private readonly appendStatement: string;
  private readonly appendOneSql: string;
  private readonly appendOneStatement: string;
  private readonly appendStreamsSql: string;
  private readonly appendStreamsStatement: string;
  private readonly readStatement: string;
  private readonly listeners = new Set<AppendListener>();

  constructor(
    readonly pool: pg.Pool,
    readonly schema: string,
    readonly projections: readonly Projection[] = [],
  ) {
    this.table = `${sqlIdentifier(schema)}.events`;
    // The unique (stream_id, version) is the version check: the events take the versions after the
    // one they were decided on, and an append that lost a race to them fails on that key, never
    // overwrites. An expected version was read from the stream, whose events are never deleted, so
    // it is there: the stream's head is read only for 'any' (null), as the coalesce's last resort.
    const head = `coalesce($2::integer, (SELECT coalesce(max(version), 0) FROM ${this.table} WHERE stream_id = $1))`;
    this.appendSql = `
      INSERT INTO ${this.table} (event_id, stream_id, version, type, data, metadata, occurred_at)
      SELECT (e.doc->>'eventId')::uuid, $1, ${head} + e.n, e.doc->>'type', e.doc->'data', $4::jsonb, $5::timestamptz
      FROM jsonb_array_elements($3::jsonb) WITH ORDINALITY AS e(doc, n)
      RETURNING global_position, version`;
    this.appendStatement = `awan_append_${schema}`;
    // One event, the common case: its columns as parameters, with no JSON array to take apart.
    this.appendOneSql = `
      INSERT INTO ${this.table} (event_id, stream_id, version, type, data, metadata, occurred_at)
      VALUES ($3, $1, ${head} + 1, $4, $5, $6, $7)
      RETURNING global_position, version`;
    this.appendOneStatement = `awan_append_one_${schema}`;
    // Many streams' events, each at the version it was decided on (appendToStreams).
    this.appendStreamsSql = `
      INSERT INTO ${this.table} (event_id, stream_id, version, type, data, metadata, occurred_at)
      SELECT (e.doc->>'eventId')::uuid, s."streamId", s."expectedVersion" + e.n, e.doc->>'type', e.doc->'data', coalesce(s.metadata, $2::jsonb), $3::timestamptz
      FROM ROWS FROM (jsonb_to_recordset($1::jsonb) AS ("streamId" text, "expectedVersion" integer, metadata jsonb, docs jsonb))
           WITH ORDINALITY AS s ("streamId", "expectedVersion", metadata, docs, i),
           jsonb_array_elements(s.docs) WITH ORDINALITY AS e (doc, n)
      WHERE s."expectedVersion" = (SELECT coalesce(max(version), 0) FROM ${this.table} WHERE stream_id = s."streamId")
      ORDER BY s.i, e.n
      RETURNING global_position, stream_id, version`;
    this.appendStreamsStatement = `awan_append_streams_${schema}`;
    this.readStatement = `awan_read_${schema}`;
  }

  /** Appends `events` to the end of a stream in one transaction, or throws ConcurrencyError. */
  async append(streamId: string, events: readonly DomainEvent[], options: AppendOptions): Promise<RecordedEvent[]> {
    if (events.length === 0) return [];
    const projections = this.projections.filter((p) => events.some((e) => p.eventTypes.includes(e.type)));
    // The state decided on is the stream's at the expected version: the one before the first event written.
    const before = options.expectedVersion === 'any' ? undefined : options.decidedOn;
    const appendAndProject = async (sql: Sql) => {
      const written = await this.insert(sql, streamId, events, options);
      for (const [i, event] of written.entries()) {
        for (const projection of projections) {
          if (!projection.eventTypes.includes(event.type)) continue;
          const kept = i === 0 && options.decider !== undefined && projection.keeps?.decider === options.decider;
          await projection.apply(sql, event, kept ? before : undefined);
        }
      }
      return written;
    };
    const recorded = options.tx
      ? await appendAndProject(options.tx)
      : await (projections.length === 0
        ? this.insertAlone(streamId, events, options)
        : withTransaction(this.pool, appendAndProject)
      ).catch(async (error: unknown) => {
        // Its own transaction over, the stream's version can be read for the error to tell.
        if (error instanceof ConcurrencyError) throw new ConcurrencyError(streamId, error.expectedVersion, await this.streamVersion(streamId));
        throw error;
      });
    const notify = () => this.listeners.forEach((listener) => listener(recorded, options.decidedOn));
    if (options.tx) afterCommit(options.tx, notify);
    else notify();
    return recorded;
  }

  /**
   * Appends to many streams in one statement, inside the caller's transaction, each stream's events
   * at the version they were decided on: a batch of decisions (a month's drafts) costs one round trip,
   * not one per stream. Projections fold the batch (applyAll where they have it). A stream that moved
   * since throws ConcurrencyError: the caller retries its whole transaction.
   */
  async appendToStreams(
    appends: readonly StreamAppend[],
    options: { metadata: EventMetadata; tx: Sql; occurredAt?: Date },
  ): Promise<RecordedEvent[]> {
    // An append's own metadata (a batch of requests, each its own) is taken as given, with the trace context it carries.
    const batch = appends.filter((a) => a.events.length > 0).map((a) => ({
      streamId: a.streamId, expectedVersion: a.expectedVersion, metadata: a.metadata,
      docs: a.events.map((e) => ({ eventId: randomUUID(), type: e.type, data: e.data ?? {} })),
    }));
    if (batch.length === 0) return [];
    const occurredAt = (options.occurredAt ?? new Date()).toISOString();
    const shared = withTraceContext(options.metadata);
    let rows: { global_position: string; stream_id: string; version: number }[];
    try {
      // Named, as the other appends: parsed and planned once per connection, not on every batch.
      ({ rows } = await options.tx.query({
        name: this.appendStreamsStatement, text: this.appendStreamsSql, values: [JSON.stringify(batch), JSON.stringify(shared), occurredAt],
      }));
    } catch (error) {
      if (isUniqueViolation(error, 'events_stream_version')) throw new ConcurrencyError('(one of a batch)', -1, null);
      throw error;
    }
    const written = new Map(rows.map((row) => [`${row.stream_id}\u0000${row.version}`, Number(row.global_position)]));
    const byStream = batch.map(({ streamId, expectedVersion, metadata, docs }) => docs.map((doc, i): RecordedEvent => {
      const globalPosition = written.get(`${streamId}\u0000${expectedVersion + i + 1}`);
      if (globalPosition === undefined) throw new ConcurrencyError(streamId, expectedVersion, null);
      return { globalPosition, eventId: doc.eventId, type: doc.type, streamId, version: expectedVersion + i + 1, occurredAt, data: doc.data, metadata: metadata ?? shared };
    }));
    const recorded = byStream.flat();
    for (const projection of this.projections) {
      const events = recorded.filter((event) => projection.eventTypes.includes(event.type));
      if (events.length === 0) continue;
      if (projection.applyAll) await projection.applyAll(options.tx, events);
      else for (const event of events) await projection.apply(options.tx, event);
    }
    // Listeners hear each stream's events apart, as from one append each.
    afterCommit(options.tx, () => byStream.forEach((events) => this.listeners.forEach((listener) => listener(events))));
    return recorded;
  }

  /** One statement, its own transaction: as withTransaction, refused once the request it is for is past its deadline. */
  private insertAlone(streamId: string, events: readonly DomainEvent[], options: AppendOptions) {
    refuseAfterDeadline();
    return this.insert(this.pool, streamId, events, options);
  }

  private async insert(sql: Sql, streamId: string, events: readonly DomainEvent[], options: AppendOptions) {
    const expected = options.expectedVersion === 'any' ? null : options.expectedVersion;
    const occurredAt = (options.occurredAt ?? new Date()).toISOString();
    const docs = events.map((e) => ({ eventId: randomUUID(), type: e.type, data: e.data ?? {} }));
    // Appended inside traced work, the events carry its trace context to their consumers.
    const metadata = withTraceContext(options.metadata);
    let rows: { global_position: string; version: number }[];
    try {
      // Named: each connection parses and plans it once, not on every append.
      ({ rows } = await sql.query(docs.length === 1
        ? {
          name: this.appendOneStatement,
          text: this.appendOneSql,
          values: [streamId, expected, docs[0].eventId, docs[0].type, JSON.stringify(docs[0].data), JSON.stringify(metadata), occurredAt],
        }
        : { name: this.appendStatement, text: this.appendSql, values: [streamId, expected, JSON.stringify(docs), JSON.stringify(metadata), occurredAt] }));
    } catch (error) {
      if (!isUniqueViolation(error, 'events_stream_version')) throw error;
      throw new ConcurrencyError(streamId, expected ?? -1, null);
    }
    // The n-th event took version head + n, so version order is input order.
    rows.sort((a, b) => a.version - b.version);
    return docs.map(
      (doc, i): RecordedEvent => ({
        globalPosition: Number(rows[i].global_position),
        eventId: doc.eventId,
        type: doc.type,
        streamId,
        version: rows[i].version,
        occurredAt,
        data: doc.data,
        metadata,
      }),
    );
  }

  async streamVersion(streamId: string, sql: Sql = this.pool): Promise<number> {
    return (await this.streamVersions([streamId], sql)).get(streamId)!;
  }

  /** Each stream's version (0 for one with no events), read in one statement. */
  async streamVersions(streamIds: readonly string[], sql: Sql = this.pool): Promise<Map<string, number>> {
    const { rows } = await sql.query<{ stream_id: string; version: number }>(
      `SELECT s.id AS stream_id, coalesce((SELECT max(version) FROM ${this.table} WHERE stream_id = s.id), 0)::integer AS version
       FROM unnest($1::text[]) AS s(id)`,
      [streamIds],
    );
    return new Map(rows.map((row) => [row.stream_id, row.version]));
  }

  /**
   * A stream's events, or a page of them (after `page.afterVersion`, at most `page.limit`): a long
   * stream's history is read a page at a time. `sql` reads inside a caller's transaction.
   */
  async readStream(streamId: string, sql: Sql = this.pool, page?: { afterVersion: number; limit: number }): Promise<RecordedEvent[]> {
    const { rows } = await sql.query<EventRow>(
      page
        ? { text: `SELECT ${EVENT_COLUMNS} FROM ${this.table} WHERE stream_id = $1 AND version > $2 ORDER BY version LIMIT $3`, values: [streamId, page.afterVersion, page.limit] }
        // Named, as the append: every command reads its stream first.
        : { name: this.readStatement, text: `SELECT ${EVENT_COLUMNS} FROM ${this.table} WHERE stream_id = $1 ORDER BY version`, values: [streamId] },
    );
    return rows.map(toRecordedEvent);
  }

  /** The events of a stream at these versions, oldest first: what a reader names of a long stream, without the rest. */
  async readVersions(streamId: string, versions: readonly number[]): Promise<RecordedEvent[]> {
    if (versions.length === 0) return [];
    const { rows } = await this.pool.query<EventRow>(
      `SELECT ${EVENT_COLUMNS} FROM ${this.table} WHERE stream_id = $1 AND version = ANY($2::integer[]) ORDER BY version`,
      [streamId, versions],
    );
    return rows.map(toRecordedEvent);
  }

  /** A stream's last event of `type` before `beforeVersion`, read back from there (the stream's key is in version order), or null. */
  async lastBefore(streamId: string, type: string, beforeVersion: number): Promise<RecordedEvent | null> {
    const { rows: [row] } = await this.pool.query<EventRow>(
      `SELECT ${EVENT_COLUMNS} FROM ${this.table} WHERE stream_id = $1 AND version < $2 AND type = $3 ORDER BY version DESC LIMIT 1`,
      [streamId, beforeVersion, type],
    );
    return row ? toRecordedEvent(row) : null;
  }

  /** Events in log order after `afterPosition`, optionally of some types only. */
  async readAll(
    sql: Sql,
    options: { afterPosition: number; limit: number; types?: readonly string[] },
  ): Promise<RecordedEvent[]> {
    const { rows } = await sql.query<EventRow>(
      `SELECT ${EVENT_COLUMNS} FROM ${this.table}
       WHERE global_position > $1 AND ($3::text[] IS NULL OR type = ANY($3::text[]))
       ORDER BY global_position LIMIT $2`,
      [options.afterPosition, options.limit, options.types ?? null],
    );
    return rows.map(toRecordedEvent);
  }

  /**
   * Called after every append of this process has committed (inside a caller's withTransaction,
   * once that commits), with what it appended: the relay publishes without waiting for its poll,
   * a service logs the facts it decided.
   */
  onAppended(listener: AppendListener): () => void {
    this.listeners.add(listener);
    return () => this.listeners.delete(listener);
  }
}
