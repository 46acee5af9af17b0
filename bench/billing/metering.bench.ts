// What billing pays to meter one start or stop of an instance as the instance's history grows (a
// long-lived instance: years of stops and starts): arriving in order, it goes on from the instance's
// open segment; arriving late (a start older than the newest event billing has), it folds the whole
// history again, as every event did before; and the deletion of such an instance. Then the same for an instance that had 10 and 1,000
// snapshots (taken and deleted on a schedule): a new snapshot's events, and a late start. Milliseconds
// per event (its own transaction, one connection) at each length, the median of alternating rounds,
// with the segments it leaves checked against a fold of every event. Prints JSON.
// Needs PostgreSQL (DATABASE_URL as for the tests); no NATS.
// Usage: npm run bench:metering   (BENCH_EVENTS per round and way, default 25)
import { randomUUID } from 'node:crypto';
import { isDeepStrictEqual } from 'node:util';
import { SYSTEM_ACTOR, type EventEnvelope } from '#libs/contracts';
import { createPool, eventStoreMigrations, migrate, withTransaction } from '#libs/event-store';
import { TEST_DATABASE_URL, uniqueName } from '#libs/testing';
import { billingEventStore } from '../../apps/billing/src/billing.event-store.js';
import { meterInstance, meterSnapshots, type MeterEvent, type UsageSegment } from '../../apps/billing/src/metering/meter.js';
import { Metering, SEGMENT_COLUMNS, segmentOf } from '../../apps/billing/src/metering/metering.js';

const LENGTHS = [10, 1000, 5000];
const SNAPSHOTS = [10, 1000];
/** Instances of each length deleted, once each. */
const DELETIONS = 5;
const ROUNDS = 4;
const EVENTS = Number(process.env.BENCH_EVENTS ?? 25);
/** Between two of its starts and stops, an hour apart, compute's other events (requests, consoles, backups) leave room in the versions. */
const GAP = 1000;
const START = Date.parse('2020-01-01T00:00:00Z');

const schema = uniqueName('bench_meter');
const pool = createPool(TEST_DATABASE_URL, { schema, max: 2 });
await migrate(pool, schema, [...eventStoreMigrations, ...billingEventStore.migrations]);
const accountId = randomUUID();
await pool.query("INSERT INTO accounts (id, name, kind, parent_id, currency, tax_rate, created_at) VALUES ($1, 'Bench', 'CUSTOMER', NULL, 'EUR', 0, now())", [accountId]);
const metering = new Metering();

/**
 * An instance with `length` metered events: requested, then started and stopped an hour apart, GAP
 * versions apart; or requested, started, and `snapshots` snapshots taken and deleted.
 */
async function instanceOf(length: number, snapshots = 0) {
  const instanceId = randomUUID();
  const event = (version: number, type: string, data: unknown = {}): EventEnvelope => ({
    eventId: randomUUID(), type, streamId: `instance-${instanceId}`, version, occurredAt: new Date(START + (version * 3_600_000) / GAP).toISOString(), data,
    metadata: { correlationId: 'bench', causationId: null, actor: SYSTEM_ACTOR },
  });
  const typeAt = (version: number) => ((version / GAP) % 2 === 1 ? 'InstanceStarted' : 'InstanceStopped');
  const history = [event(1, 'InstanceRequested', { instanceId, accountId, name: 'bench', kind: 'VM', imageId: 'img', planId: 'vm-1g', regionId: 'bench', billingCycle: 'HOURLY' })];
  for (let version = GAP; history.length < length; version += GAP) history.push(event(version, typeAt(version)));
  const snapshot = (version: number) => {
    const snapshotId = randomUUID();
    return [
      event(version, 'SnapshotRequested', { snapshotId, name: `daily-${version}` }),
      event(version + 1, 'SnapshotCreated', { snapshotId, sizeMb: 1024 }),
      event(version + 2, 'SnapshotDeleted', { snapshotId }),
    ];
  };
  let nextSnapshot = 2 * GAP;
  for (let i = 0; i < snapshots; i++, nextSnapshot += 3) history.push(...snapshot(nextSnapshot));
  // Written as the meter keeps them, then folded once.
  const [first, ...rest] = history;
  await pool.query(
    `INSERT INTO meter_events (event_id, resource_id, version, type, occurred_at, data)
     SELECT e.id, $1, e.version, e.type, e.at, e.data FROM unnest($2::uuid[], $3::integer[], $4::text[], $5::timestamptz[], $6::jsonb[]) AS e (id, version, type, at, data)`,
    [instanceId, rest.map((e) => e.eventId), rest.map((e) => e.version), rest.map((e) => e.type), rest.map((e) => e.occurredAt), rest.map((e) => JSON.stringify(e.data))],
  );
  await withTransaction(pool, (tx) => metering.record(first, tx));
  let next = history.at(-1)!.version + GAP;
  const taking: EventEnvelope[] = [];
  let late = GAP; // a start again in the first hour it ran: late, and changing nothing
  return {
    instanceId,
    /** The next start or stop, after every event billing has. */
    inOrder: () => {
      const version = next;
      next += GAP;
      return event(version, typeAt(version));
    },
    /** Its deletion, after every event billing has. */
    deleted: () => event(next, 'InstanceDeleted'),
    /** The next snapshot's request, creation and deletion, one at a time, after every event billing has. */
    snapshotEvent: () => {
      if (taking.length === 0) {
        taking.push(...snapshot(nextSnapshot));
        nextSnapshot += 3;
      }
      return taking.shift()!;
    },
    /** A start older than billing's newest event. */
    late: () => {
      if (++late >= 2 * GAP) throw new Error('no room left for late events: raise GAP');
      return event(late, 'InstanceStarted');
    },
  };
}

const record = (event: EventEnvelope) => withTransaction(pool, (tx) => metering.record(event, tx));

/** Milliseconds each of `count` events took to meter, one at a time. */
async function timings(make: () => EventEnvelope, count: number): Promise<number[]> {
  const times: number[] = [];
  for (let i = 0; i < count; i++) {
    const event = make();
    const started = performance.now();
    await record(event);
    times.push(performance.now() - started);
  }
  return times;
}

/** Throws unless the segments the meter left of the instance and its snapshots are what folding every event of it gives. */
async function checkFolded(instanceId: string): Promise<number> {
  const { rows: events } = await pool.query<MeterEvent & { occurredAt: Date }>(
    'SELECT event_id AS "eventId", type, version, occurred_at AS "occurredAt", data FROM meter_events WHERE resource_id = $1', [instanceId],
  );
  const all = events.map((e) => ({ ...e, occurredAt: e.occurredAt.toISOString() }));
  const folded = [meterInstance(instanceId, all)!, ...meterSnapshots(instanceId, all)].flatMap((resource) => resource.segments);
  const { rows } = await pool.query(
    `SELECT ${SEGMENT_COLUMNS} FROM usage_segments WHERE resource_id = ANY($1)`, [[instanceId, ...new Set(folded.map((s) => s.resourceId))]],
  );
  const byId = (a: UsageSegment, b: UsageSegment) => (a.id < b.id ? -1 : 1);
  if (!isDeepStrictEqual(rows.map(segmentOf).sort(byId), folded.sort(byId))) throw new Error(`the segments of ${instanceId} are not its events folded`);
  return folded.length;
}

/** Medians of two ways of metering, `count` events at a time, in alternating rounds. */
async function alternating(first: () => EventEnvelope, second: () => EventEnvelope): Promise<[number, number]> {
  await timings(first, 3);
  await timings(second, 3);
  const [a, b]: number[][] = [[], []];
  for (let r = 0; r < ROUNDS; r++) {
    const ways = [() => timings(first, EVENTS).then((t) => a.push(...t)), () => timings(second, EVENTS).then((t) => b.push(...t))];
    for (const way of r % 2 === 0 ? ways : ways.reverse()) await way();
  }
  return [ms(median(a)), ms(median(b))];
}

const median = (values: number[]) => [...values].sort((a, b) => a - b)[Math.floor(values.length / 2)];
const ms = (value: number) => Math.round(value * 100) / 100;

try {
  const results: Record<string, unknown> = {};
  for (const length of LENGTHS) {
    const instance = await instanceOf(length);
    const [inOrderMs, lateMs] = await alternating(instance.inOrder, instance.late);
    const segments = await checkFolded(instance.instanceId);
    const deletions: number[] = [];
    for (let i = 0; i < DELETIONS; i++) {
      const deleted = await instanceOf(length);
      deletions.push(...await timings(deleted.deleted, 1));
      await checkFolded(deleted.instanceId);
    }
    results[`events${length}`] = { segments, inOrderMs, lateMs, deletionMs: ms(median(deletions)) };
  }
  for (const snapshots of SNAPSHOTS) {
    const instance = await instanceOf(2, snapshots);
    const [snapshotEventMs, lateMs] = await alternating(instance.snapshotEvent, instance.late);
    results[`snapshots${snapshots}`] = { segments: await checkFolded(instance.instanceId), snapshotEventMs, lateMs };
  }
  console.log(JSON.stringify({
    scope: "metering one start or stop of an instance, or one event of its snapshot's, its own transaction, one connection", eventsPerRound: EVENTS, rounds: ROUNDS, ...results,
  }, null, 2));
} finally {
  await pool.query(`DROP SCHEMA ${schema} CASCADE`);
  await pool.end();
}
