import type pg from 'pg';
import type { EventMetadata } from '#libs/contracts';
import { ConcurrencyError } from './errors.js';
import { lockKeyInTransaction, withTransaction, type Sql } from './database.js';
import type { DomainEvent, EventStore, RecordedEvent } from './event-store.js';

/**
 * The write model of one aggregate, in plain TypeScript (Emmett's decider):
 * `decide` turns a command into new facts or throws a domain error; `evolve` folds a fact into state.
 */
export interface Decider<Command, State, Event extends DomainEvent> {
  decide(command: Command, state: State): Event[];
  evolve(state: State, event: Event): State;
  initialState(): State;
}

export function fold<State, Event extends DomainEvent>(
  decider: Pick<Decider<unknown, State, Event>, 'evolve' | 'initialState'>,
  events: readonly Event[],
): State {
  return events.reduce((state, event) => decider.evolve(state, event), decider.initialState());
}

/**
 * A stream's current state and version: as a projection keeps it where one keeps the decider's
 * state, else folded from its events. `sql` reads inside a caller's transaction.
 */
export async function readState<State, Event extends DomainEvent>(
  store: EventStore,
  streamId: string,
  decider: Pick<Decider<unknown, State, Event>, 'evolve' | 'initialState'>,
  sql?: Sql,
): Promise<{ state: State; version: number }> {
  const kept = store.projections.find((projection) => projection.keeps?.decider === decider)?.keeps;
  const found = kept && (await kept.read(sql ?? store.pool, streamId));
  if (found) return found as { state: State; version: number };
  const history = await store.readStream(streamId, sql);
  // A recorded event is its domain event plus the envelope, so evolve may read either.
  return { state: fold(decider, history as unknown as Event[]), version: history.at(-1)?.version ?? 0 };
}

export interface CommandResult<State, Event extends DomainEvent> {
  /** The events this command appended (none when the decider decided nothing changes). */
  events: RecordedEvent<Event>[];
  state: State;
  version: number;
}

/**
 * Loads a stream's state, decides, and appends with the version it decided on. When another
 * writer got there first it re-reads and decides again on the new state, so the domain's
 * rules judge every command against the facts as they are. Once it has lost, it decides under the
 * stream's lock (`withRetriedTransaction`).
 *
 * `known`: the stream's state as the caller read it a moment ago (a provisioner's, before it asked a
 * host), decided on without reading it again. Should the stream have moved since, the append fails on
 * its version; a decision of nothing, or a refusal, made on it is confirmed on the stream as it is.
 */
export async function handleCommand<Command, State, Event extends DomainEvent>(
  store: EventStore,
  streamId: string,
  decider: Decider<Command, State, Event>,
  command: Command,
  metadata: EventMetadata,
  known?: { state: State; version: number },
): Promise<CommandResult<State, Event>> {
  const append = async ({ state, version }: { state: State; version: number }, decided: Event[], tx?: Sql): Promise<CommandResult<State, Event>> => {
    const events = (await store.append(streamId, decided, { expectedVersion: version, metadata, decidedOn: state, decider, tx })) as unknown as RecordedEvent<Event>[];
    return { events, state: decided.reduce(decider.evolve, state), version: version + events.length };
  };
  const decideOn = async (current: { state: State; version: number }, tx?: Sql): Promise<CommandResult<State, Event>> => {
    const decided = decider.decide(command, current.state);
    return decided.length === 0 ? { events: [], ...current } : append(current, decided, tx);
  };
  if (known) {
    let decided: Event[] = [];
    try {
      decided = decider.decide(command, known.state);
    } catch {
      // a refusal, confirmed below
    }
    const appended = decided.length > 0 && (await append(known, decided).catch((error: unknown) => {
      if (error instanceof ConcurrencyError) return null;
      throw error;
    }));
    if (appended) return appended;
    // Nothing or a refusal decided on it, or the state gone stale (no contention): decided again on the stream as it is.
    return handleCommand(store, streamId, decider, command, metadata);
  }
  try {
    return await decideOn(await readState(store, streamId, decider));
  } catch (error) {
    if (!(error instanceof ConcurrencyError)) throw error;
    return withRetriedTransaction(store.pool, async (tx) => decideOn(await readState(store, streamId, decider, tx), tx), [streamId]);
  }
}

/** How many times a transaction is run before its ConcurrencyError is the caller's. */
const MAX_ATTEMPTS = 10;

/**
 * `work` in one transaction, run again from the start when one of its decisions lost to a
 * concurrent append: each attempt judges the command against the facts as they are then. An attempt
 * after a loss first takes the lost streams' locks, as every other loser does: they then decide one
 * at a time, where sixty calls on one stream at once (as Terraform makes them) had some lose ten
 * times over and give up. `contended`: streams many calls append to, locked from the first attempt,
 * as a first attempt that takes no lock may cut in before a loser that waited for it.
 */
export async function withRetriedTransaction<T>(pool: pg.Pool, work: (tx: pg.PoolClient) => Promise<T>, contended: readonly string[] = []): Promise<T> {
  const locked = new Set(contended);
  for (let attempt = 1; ; attempt++) {
    try {
      return await withTransaction(pool, async (tx) => {
        if (locked.size > 0) await lockKeyInTransaction(tx, [...locked].map((streamId) => `stream:${streamId}`));
        return work(tx);
      });
    } catch (error) {
      if (!(error instanceof ConcurrencyError) || attempt >= MAX_ATTEMPTS) throw error;
      locked.add(error.streamId);
    }
  }
}

/**
 * `handleCommand` inside the caller's transaction, for a command that must commit together with
 * other writes (a number taken, a second stream). A concurrent append throws ConcurrencyError:
 * the caller retries its whole transaction.
 */
export async function decideInTransaction<Command, State, Event extends DomainEvent>(
  store: EventStore,
  tx: Sql,
  streamId: string,
  decider: Decider<Command, State, Event>,
  command: Command,
  metadata: EventMetadata,
): Promise<Event[]> {
  const { state, version } = await readState(store, streamId, decider, tx);
  const events = decider.decide(command, state);
  if (events.length > 0) await store.append(streamId, events, { expectedVersion: version, metadata, tx, decidedOn: state, decider });
  return events;
}
