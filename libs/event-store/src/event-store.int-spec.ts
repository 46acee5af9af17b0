import { SYSTEM_ACTOR, type EventMetadata } from '#libs/contracts';
import { createTestDatabase, type TestDatabase } from '#libs/testing';
import {
  capacityDecider,
  CapacityExceeded,
  capacityMigrations,
  capacityTotalsProjection,
} from '../test/capacity.decider.js';
import { withTransaction } from './database.js';
import { ConcurrencyError } from './errors.js';
import { decideInTransaction, handleCommand, readState, withRetriedTransaction } from './decider.js';
import { EventStore } from './event-store.js';
import { eventStoreMigrations, migrate } from './migrations.js';
import { rebuildProjection, type Projection } from './projection.js';

const metadata: EventMetadata = { correlationId: 'c-1', causationId: null, actor: SYSTEM_ACTOR };

describe('event store on PostgreSQL', () => {
  let db: TestDatabase;
  let store: EventStore;

  beforeEach(async () => {
    db = await createTestDatabase('es');
    await migrate(db.pool, db.schema, [...eventStoreMigrations, ...capacityMigrations]);
    store = new EventStore(db.pool, db.schema, [capacityTotalsProjection]);
  });
  afterEach(() => db.close());

  it('stores events in their envelope and reads a stream back in version order', async () => {
    await store.append('pool-a', [{ type: 'CapacityOpened', data: { poolId: 'a', capacity: 5 } }], {
      expectedVersion: 0,
      metadata: { correlationId: 'req-9', causationId: 'cmd-1', actor: { kind: 'account', accountId: 'acc-1', role: 'ADMIN' } },
    });
    await store.append('pool-a', [{ type: 'CapacityReserved', data: { poolId: 'a', amount: 2 } }], { expectedVersion: 1, metadata });

    const events = await store.readStream('pool-a');
    expect(events.map((e) => [e.type, e.version])).toEqual([
      ['CapacityOpened', 1],
      ['CapacityReserved', 2],
    ]);
    expect(events[0]).toMatchObject({
      streamId: 'pool-a',
      data: { poolId: 'a', capacity: 5 },
      metadata: { correlationId: 'req-9', causationId: 'cmd-1', actor: { kind: 'account', accountId: 'acc-1', role: 'ADMIN' } },
    });
    expect(events[0].eventId).toMatch(/^[0-9a-f-]{36}$/);
    expect(new Date(events[0].occurredAt).getTime()).toBeGreaterThan(Date.now() - 60_000);
  });

  it('reads a stream a page at a time, after a version', async () => {
    const reserved = Array.from({ length: 5 }, (_, i) => ({ type: 'CapacityReserved', data: { poolId: 'p', amount: i + 1 } }));
    await store.append('pool-p', [{ type: 'CapacityOpened', data: { poolId: 'p', capacity: 50 } }, ...reserved], { expectedVersion: 0, metadata });
    const page = (afterVersion: number) => store.readStream('pool-p', undefined, { afterVersion, limit: 2 }).then((events) => events.map((e) => e.version));
    expect(await page(0)).toEqual([1, 2]);
    expect(await page(2)).toEqual([3, 4]);
    expect(await page(5)).toEqual([6]);
    expect(await page(6)).toEqual([]);
  });

  it('reads the events of a stream it is asked for by version, and the last of a type before a version, without the rest', async () => {
    const reserved = Array.from({ length: 5 }, (_, i) => ({ type: 'CapacityReserved', data: { poolId: 'v', amount: i + 1 } }));
    await store.append('pool-v', [{ type: 'CapacityOpened', data: { poolId: 'v', capacity: 50 } }, ...reserved], { expectedVersion: 0, metadata });
    await store.append('pool-w', [{ type: 'CapacityOpened', data: { poolId: 'w', capacity: 50 } }], { expectedVersion: 0, metadata });
    expect((await store.readVersions('pool-v', [5, 1, 9])).map((e) => [e.version, e.type])).toEqual([[1, 'CapacityOpened'], [5, 'CapacityReserved']]);
    expect(await store.readVersions('pool-v', [])).toEqual([]);
    expect((await store.lastBefore('pool-v', 'CapacityReserved', 5))?.data).toEqual({ poolId: 'v', amount: 3 });
    expect((await store.lastBefore('pool-v', 'CapacityOpened', 6))?.version).toBe(1);
    expect(await store.lastBefore('pool-v', 'CapacityOpened', 1)).toBeNull();
    expect(await store.lastBefore('pool-w', 'CapacityReserved', 99)).toBeNull();
  });

  it("hands its listeners the state a command was decided on, alone or in a caller's transaction, and nothing where none was said", async () => {
    const heard: [number, unknown][] = [];
    const stop = store.onAppended((events, decidedOn) => heard.push([events[0].version, decidedOn]));
    await handleCommand(store, 'pool-d', capacityDecider, { type: 'OpenCapacity', poolId: 'd', capacity: 5 }, metadata);
    await handleCommand(store, 'pool-d', capacityDecider, { type: 'ReserveCapacity', poolId: 'd', amount: 2 }, metadata);
    await withTransaction(db.pool, (tx) => decideInTransaction(store, tx, 'pool-d', capacityDecider, { type: 'ReserveCapacity', poolId: 'd', amount: 1 }, metadata));
    await store.append('pool-d', [{ type: 'CapacityReserved', data: { poolId: 'd', amount: 1 } }], { expectedVersion: 3, metadata });
    expect(heard).toEqual([
      [1, { capacity: 0, reserved: 0, open: false }],
      [2, { capacity: 5, reserved: 0, open: true }],
      [3, { capacity: 5, reserved: 2, open: true }],
      [4, undefined],
    ]);
    stop();
  });

  it("tells its listeners what was appended once it is committed: inside a caller's transaction at its commit, never on a rollback", async () => {
    const heard: string[][] = [];
    const stop = store.onAppended((events) => heard.push(events.map((e) => `${e.streamId} ${e.type} ${e.version}`)));
    await store.append('pool-l', [{ type: 'CapacityOpened', data: { poolId: 'l', capacity: 5 } }], { expectedVersion: 0, metadata });
    expect(heard).toEqual([['pool-l CapacityOpened 1']]);
    await withTransaction(db.pool, async (tx) => {
      await store.append('pool-l', [{ type: 'CapacityReserved', data: { poolId: 'l', amount: 1 } }], { expectedVersion: 1, metadata, tx });
      expect(heard).toHaveLength(1); // not committed yet
    });
    expect(heard).toEqual([['pool-l CapacityOpened 1'], ['pool-l CapacityReserved 2']]);
    await expect(withTransaction(db.pool, async (tx) => {
      await store.append('pool-l', [{ type: 'CapacityReserved', data: { poolId: 'l', amount: 1 } }], { expectedVersion: 2, metadata, tx });
      throw new Error('changed its mind');
    })).rejects.toThrow('changed its mind');
    expect(heard).toHaveLength(2);
    stop();
  });

  it('refuses an append whose expected version is not the stream version', async () => {
    await store.append('pool-b', [{ type: 'CapacityOpened', data: { poolId: 'b', capacity: 1 } }], { expectedVersion: 0, metadata });
    const stale = store.append('pool-b', [{ type: 'CapacityReserved', data: { poolId: 'b', amount: 1 } }], { expectedVersion: 0, metadata });
    await expect(stale).rejects.toBeInstanceOf(ConcurrencyError);
    await expect(stale).rejects.toMatchObject({ actualVersion: 1 });
    const reserve = { type: 'CapacityReserved', data: { poolId: 'b', amount: 1 } };
    await expect(store.append('pool-b', [reserve, reserve], { expectedVersion: 0, metadata })).rejects.toMatchObject({ name: 'ConcurrencyError', actualVersion: 1 });
    expect((await store.readStream('pool-b')).map((e) => [e.type, e.version])).toEqual([['CapacityOpened', 1]]);
  });

  it("appends at the stream's head when any version will do, one event or several", async () => {
    const reserve = (amount: number) => ({ type: 'CapacityReserved', data: { poolId: 'y', amount } });
    await store.append('pool-y', [{ type: 'CapacityOpened', data: { poolId: 'y', capacity: 9 } }], { expectedVersion: 'any', metadata });
    await store.append('pool-y', [reserve(1)], { expectedVersion: 'any', metadata });
    const appended = await store.append('pool-y', [reserve(2), reserve(3)], { expectedVersion: 'any', metadata });
    expect(appended.map((e) => e.version)).toEqual([3, 4]);
    expect((await store.readStream('pool-y')).map((e) => [e.version, (e.data as { amount?: number }).amount ?? null])).toEqual([[1, null], [2, 1], [3, 2], [4, 3]]);
  });

  it("appends to many streams in one statement, each at its decided version, projected and heard per stream at the commit; a stale one fails them all", async () => {
    await store.append('pool-m1', [{ type: 'CapacityOpened', data: { poolId: 'm1', capacity: 5 } }], { expectedVersion: 0, metadata });
    const heard: string[][] = [];
    const stop = store.onAppended((events) => heard.push(events.map((e) => `${e.streamId} ${e.type} ${e.version}`)));
    const appended = await withTransaction(db.pool, async (tx) => {
      const events = await store.appendToStreams([
        { streamId: 'pool-m1', expectedVersion: 1, events: [{ type: 'CapacityReserved', data: { poolId: 'm1', amount: 2 } }, { type: 'CapacityReserved', data: { poolId: 'm1', amount: 1 } }] },
        { streamId: 'pool-m2', expectedVersion: 0, events: [{ type: 'CapacityOpened', data: { poolId: 'm2', capacity: 7 } }] },
      ], { metadata, tx });
      expect(heard).toEqual([]); // not committed yet
      return events;
    });
    expect(appended.map((e) => `${e.streamId} ${e.version}`)).toEqual(['pool-m1 2', 'pool-m1 3', 'pool-m2 1']);
    expect(heard).toEqual([['pool-m1 CapacityReserved 2', 'pool-m1 CapacityReserved 3'], ['pool-m2 CapacityOpened 1']]);
    expect((await store.readStream('pool-m1')).map((e) => [e.version, e.globalPosition])).toEqual([
      [1, expect.any(Number)], [2, appended[0].globalPosition], [3, appended[1].globalPosition],
    ]);
    expect((await db.pool.query("SELECT pool_id, capacity, reserved, version FROM capacity_totals WHERE pool_id LIKE 'm%' ORDER BY pool_id")).rows).toEqual([
      { pool_id: 'm1', capacity: 5, reserved: 3, version: 3 }, { pool_id: 'm2', capacity: 7, reserved: 0, version: 1 },
    ]);

    const stale = withTransaction(db.pool, (tx) => store.appendToStreams([
      { streamId: 'pool-m3', expectedVersion: 0, events: [{ type: 'CapacityOpened', data: { poolId: 'm3', capacity: 1 } }] },
      { streamId: 'pool-m2', expectedVersion: 0, events: [{ type: 'CapacityOpened', data: { poolId: 'm2', capacity: 1 } }] },
    ], { metadata, tx }));
    await expect(stale).rejects.toMatchObject({ name: 'ConcurrencyError', streamId: 'pool-m2' });
    expect(await store.streamVersion('pool-m3')).toBe(0);
    // The versions a batch is decided on, read for many streams at once, 0 where a stream has no event.
    expect(await store.streamVersions(['pool-m2', 'pool-m3', 'pool-m1'])).toEqual(new Map([['pool-m2', 1], ['pool-m3', 0], ['pool-m1', 3]]));
    expect(heard).toHaveLength(2);
    stop();
  });

  it("records each append of a batch with its own metadata where it has one (a batch of requests), else the batch's", async () => {
    const own: EventMetadata = { correlationId: 'request-2', causationId: null, actor: { kind: 'account', accountId: 'acme', role: 'CUSTOMER' } };
    await withTransaction(db.pool, (tx) => store.appendToStreams([
      { streamId: 'pool-n1', expectedVersion: 0, events: [{ type: 'CapacityOpened', data: { poolId: 'n1', capacity: 1 } }] },
      { streamId: 'pool-n2', expectedVersion: 0, events: [{ type: 'CapacityOpened', data: { poolId: 'n2', capacity: 1 } }], metadata: own },
    ], { metadata, tx }));
    expect((await store.readStream('pool-n1'))[0].metadata).toMatchObject({ correlationId: metadata.correlationId });
    expect((await store.readStream('pool-n2'))[0].metadata).toEqual(own);
  });

  it('lets exactly one of two concurrent appends with the same expected version succeed', async () => {
    await store.append('pool-c', [{ type: 'CapacityOpened', data: { poolId: 'c', capacity: 10 } }], { expectedVersion: 0, metadata });
    for (let round = 0; round < 20; round++) {
      const version = await store.streamVersion('pool-c');
      const results = await Promise.allSettled(
        [1, 2].map(() =>
          store.append('pool-c', [{ type: 'CapacityReserved', data: { poolId: 'c', amount: 0 } }], { expectedVersion: version, metadata }),
        ),
      );
      expect(results.filter((r) => r.status === 'fulfilled')).toHaveLength(1);
      const rejected = results.find((r) => r.status === 'rejected') as PromiseRejectedResult;
      expect(rejected.reason).toBeInstanceOf(ConcurrencyError);
    }
    const versions = (await store.readStream('pool-c')).map((e) => e.version);
    expect(versions).toEqual(Array.from({ length: 21 }, (_, i) => i + 1));
  });

  it('decides from the state a projection keeps, and folds the stream where the kept state is not its last', async () => {
    let keptReads = 0;
    const keeping: Projection = {
      ...capacityTotalsProjection,
      keeps: {
        decider: capacityDecider,
        async read(sql, streamId) {
          keptReads++;
          const { rows: [row] } = await sql.query<{ capacity: number; reserved: number; version: number; head: number }>(
            'SELECT t.capacity, t.reserved, t.version, (SELECT max(e.version) FROM events e WHERE e.stream_id = $2) AS head FROM capacity_totals t WHERE t.pool_id = $1',
            [streamId.slice('pool-'.length), streamId],
          );
          return row && row.version === row.head ? { state: { open: true, capacity: row.capacity, reserved: row.reserved }, version: row.version } : null;
        },
      },
    };
    const keptStore = new EventStore(db.pool, db.schema, [keeping]);
    const reserve = (amount: number) => handleCommand(keptStore, 'pool-k', capacityDecider, { type: 'ReserveCapacity', poolId: 'k', amount }, metadata);
    await handleCommand(keptStore, 'pool-k', capacityDecider, { type: 'OpenCapacity', poolId: 'k', capacity: 10 }, metadata);
    await reserve(4);
    expect(await readState(keptStore, 'pool-k', capacityDecider)).toEqual({ state: { open: true, capacity: 10, reserved: 4 }, version: 2 });
    expect(keptReads).toBe(3);

    // A row that is not the stream's last state is passed over: the stream is folded.
    await db.pool.query("UPDATE capacity_totals SET reserved = 9, version = 1 WHERE pool_id = 'k'");
    expect(await readState(keptStore, 'pool-k', capacityDecider)).toEqual({ state: { open: true, capacity: 10, reserved: 4 }, version: 2 });
    // One that is, is what a command decides on: 2 more do not fit beside the 9 it says are reserved.
    await db.pool.query("UPDATE capacity_totals SET version = 2 WHERE pool_id = 'k'");
    await expect(reserve(2)).rejects.toBeInstanceOf(CapacityExceeded);
    // A store whose projections keep no state folds the stream, as before.
    expect(await readState(store, 'pool-k', capacityDecider)).toEqual({ state: { open: true, capacity: 10, reserved: 4 }, version: 2 });
  });

  it("hands a projection that keeps the deciding decider's state that state, before the append's first event, and nothing otherwise", async () => {
    const seen: { version: number; before: unknown }[] = [];
    const keeping = (decider: object): Projection => ({
      ...capacityTotalsProjection,
      async apply(tx, event, before) {
        seen.push({ version: event.version, before });
        await capacityTotalsProjection.apply(tx, event);
      },
      keeps: { decider, read: async () => null },
    });
    const keptStore = new EventStore(db.pool, db.schema, [keeping(capacityDecider)]);
    const reserve = { type: 'ReserveCapacity' as const, poolId: 'h', amount: 3 };
    await handleCommand(keptStore, 'pool-h', capacityDecider, { type: 'OpenCapacity', poolId: 'h', capacity: 10 }, metadata);
    await handleCommand(keptStore, 'pool-h', capacityDecider, reserve, metadata);
    await withTransaction(db.pool, (tx) => decideInTransaction(keptStore, tx, 'pool-h', capacityDecider, reserve, metadata));
    expect(seen).toEqual([
      { version: 1, before: capacityDecider.initialState() },
      { version: 2, before: { open: true, capacity: 10, reserved: 0 } },
      { version: 3, before: { open: true, capacity: 10, reserved: 3 } },
    ]);

    // Only the first of two events has its state decided on; an append that names no decider, one at
    // any version, and another decider's, hand none.
    seen.length = 0;
    const reserved = { type: 'CapacityReserved', data: { poolId: 'h', amount: 1 } };
    const decidedOn = { open: true, capacity: 10, reserved: 6 };
    await keptStore.append('pool-h', [reserved, reserved], { expectedVersion: 3, metadata, decidedOn, decider: capacityDecider });
    await keptStore.append('pool-h', [reserved], { expectedVersion: 5, metadata, decidedOn });
    await keptStore.append('pool-h', [reserved], { expectedVersion: 'any', metadata, decidedOn, decider: capacityDecider });
    await new EventStore(db.pool, db.schema, [keeping({})]).append('pool-h', [reserved], { expectedVersion: 7, metadata, decidedOn, decider: capacityDecider });
    expect(seen).toEqual([{ version: 4, before: decidedOn }, { version: 5, before: undefined }, { version: 6, before: undefined }, { version: 7, before: undefined }, { version: 8, before: undefined }]);
    expect((await db.pool.query("SELECT reserved FROM capacity_totals WHERE pool_id = 'h'")).rows[0].reserved).toBe(11);
  });

  it('decides on a state the caller knows without reading it, and on the stream as it is where that state went stale', async () => {
    const reads: string[] = [];
    const counting = new EventStore(db.pool, db.schema, []);
    const readStream = counting.readStream.bind(counting);
    counting.readStream = (async (...args: Parameters<typeof readStream>) => {
      reads.push(args[0]);
      return readStream(...args);
    }) as typeof readStream;
    const reserve = (amount: number) => ({ type: 'ReserveCapacity' as const, poolId: 'n', amount });
    const opened = await handleCommand(counting, 'pool-n', capacityDecider, { type: 'OpenCapacity', poolId: 'n', capacity: 10 }, metadata);
    reads.length = 0;
    // Current: decided and appended with no read.
    const first = await handleCommand(counting, 'pool-n', capacityDecider, reserve(3), metadata, opened);
    expect(reads).toEqual([]);
    expect(first).toMatchObject({ state: { reserved: 3 }, version: 2 });

    // Stale (the 3 above not in it): its append fails on the version, and 8 more are refused on the stream as it is.
    await expect(handleCommand(counting, 'pool-n', capacityDecider, reserve(8), metadata, opened)).rejects.toBeInstanceOf(CapacityExceeded);
    expect(reads).toEqual(['pool-n']);
    // A refusal on a stale state is confirmed on the stream: 9 of 10 reserved there does not refuse 2 more now.
    const refusing = { state: { open: true, capacity: 10, reserved: 9 }, version: 2 };
    expect(await handleCommand(counting, 'pool-n', capacityDecider, reserve(2), metadata, refusing)).toMatchObject({ state: { reserved: 5 }, version: 3 });
    expect((await store.readStream('pool-n')).map((e) => e.version)).toEqual([1, 2, 3]);
  });

  it('retries a conflicting command on the new state, where the domain rule decides its fate', async () => {
    const open = (poolId: string, capacity: number) =>
      handleCommand(store, `pool-${poolId}`, capacityDecider, { type: 'OpenCapacity', poolId, capacity }, metadata);
    const reserve = (poolId: string, amount: number) =>
      handleCommand(store, `pool-${poolId}`, capacityDecider, { type: 'ReserveCapacity', poolId, amount }, metadata);

    // Room for both: the loser of the race is retried and succeeds.
    await open('d', 4);
    const both = await Promise.allSettled([reserve('d', 2), reserve('d', 2)]);
    expect(both.map((r) => r.status)).toEqual(['fulfilled', 'fulfilled']);

    // Room for one: the retried command sees the other's reservation and is refused by the rule.
    await open('e', 3);
    const one = await Promise.allSettled([reserve('e', 2), reserve('e', 2)]);
    expect(one.filter((r) => r.status === 'fulfilled')).toHaveLength(1);
    expect((one.find((r) => r.status === 'rejected') as PromiseRejectedResult).reason).toBeInstanceOf(CapacityExceeded);

    const { rows } = await db.pool.query('SELECT pool_id, reserved FROM capacity_totals ORDER BY pool_id');
    expect(rows).toEqual([
      { pool_id: 'd', reserved: 4 },
      { pool_id: 'e', reserved: 2 },
    ]);
  });

  it("answers sixty commands on one stream at once, each lost decision waiting its turn on the stream's lock", async () => {
    await handleCommand(store, 'pool-m', capacityDecider, { type: 'OpenCapacity', poolId: 'm', capacity: 1000 }, metadata);
    const reserve = { type: 'ReserveCapacity', poolId: 'm', amount: 1 } as const;
    // As Terraform makes them: every call decides on the stream as it is, and most lose to another's append at first.
    const alone = Array.from({ length: 60 }, () => handleCommand(store, 'pool-m', capacityDecider, reserve, metadata));
    const inTransactions = Array.from({ length: 60 }, () => withRetriedTransaction(db.pool, (tx) => decideInTransaction(store, tx, 'pool-m', capacityDecider, reserve, metadata)));
    const settled = await Promise.allSettled([...alone, ...inTransactions]);
    expect(settled.filter((r) => r.status === 'rejected').map((r) => String((r as PromiseRejectedResult).reason))).toEqual([]);
    const { rows } = await db.pool.query("SELECT reserved FROM capacity_totals WHERE pool_id = 'm'");
    expect(rows).toEqual([{ reserved: 120 }]);
    expect(await store.streamVersion('pool-m')).toBe(121);
  });

  it('rebuilds a projection from the events into exactly the live read model', async () => {
    const reserve = (poolId: string, amount: number) =>
      handleCommand(store, `pool-${poolId}`, capacityDecider, { type: 'ReserveCapacity', poolId, amount }, metadata);
    for (const poolId of ['f', 'g', 'h']) {
      await handleCommand(store, `pool-${poolId}`, capacityDecider, { type: 'OpenCapacity', poolId, capacity: 1000 }, metadata);
    }
    await Promise.all(Array.from({ length: 30 }, (_, i) => reserve(['f', 'g', 'h'][i % 3], i)));
    const live = (await db.pool.query('SELECT * FROM capacity_totals ORDER BY pool_id')).rows;

    await db.pool.query('UPDATE capacity_totals SET reserved = -1'); // a damaged read model
    const applied = await rebuildProjection(store, 'capacity_totals');

    expect(applied).toBe(33);
    expect((await db.pool.query('SELECT * FROM capacity_totals ORDER BY pool_id')).rows).toEqual(live);
    expect(live.map((r) => r.reserved)).toEqual([135, 145, 155]);
  });

  it('names an unknown projection instead of rebuilding nothing', async () => {
    await expect(rebuildProjection(store, 'nope')).rejects.toThrow('no projection "nope"');
  });

  it('applies migrations once, however many replicas run them at the same time', async () => {
    const runs = await Promise.all([1, 2, 3].map(() => migrate(db.pool, db.schema, [...eventStoreMigrations, ...capacityMigrations])));
    expect(runs.flat()).toEqual([]);
    const { rows } = await db.pool.query('SELECT id FROM schema_migrations ORDER BY id');
    expect(rows.map((r) => r.id)).toEqual(['0001-event-store', '1000-capacity-totals']);
  });
});
