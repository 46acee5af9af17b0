// Event store throughput against raw INSERTs on the same server, printed as JSON.
// Usage: npm run bench:event-store   (DATABASE_URL, NATS_URL, BENCH_SECONDS, BENCH_ROUNDS optional)
import { randomUUID } from 'node:crypto';
import { connect } from '@nats-io/transport-node';
import { jetstreamManager } from '@nats-io/jetstream';
import { eventStreamName, SYSTEM_ACTOR } from '#libs/contracts';
import { createPool, EventRelay, EventStore, eventStoreMigrations, migrate, type Logger } from '#libs/event-store';
import { TEST_DATABASE_URL, TEST_NATS_URL, uniqueName } from '#libs/testing';

const SECONDS = Number(process.env.BENCH_SECONDS ?? 5);
const ROUNDS = Number(process.env.BENCH_ROUNDS ?? 6);
const metadata = { correlationId: randomUUID(), causationId: null, actor: SYSTEM_ACTOR };
const data = { instanceId: randomUUID(), accountId: randomUUID(), planId: 'vm-2g', regionId: 'eu-1' };
const quiet: Logger = { log: () => undefined, warn: () => undefined, error: console.error };

const schema = uniqueName('bench');
const service = uniqueName('bench');
const pool = createPool(TEST_DATABASE_URL, { schema, max: 16 });
await migrate(pool, schema, eventStoreMigrations);
// The same columns, defaults, constraints and indexes as the events table; the same server and commit settings.
await pool.query('CREATE TABLE raw_events (LIKE events INCLUDING ALL)');
const store = new EventStore(pool, schema);

/** Operations per second of `writers` loops of `step` for `ms`. */
async function rate(writers: number, ms: number, step: (writer: number) => Promise<void>): Promise<number> {
  const deadline = Date.now() + ms;
  let count = 0;
  const started = process.hrtime.bigint();
  await Promise.all(
    Array.from({ length: writers }, async (_, w) => {
      while (Date.now() < deadline) {
        await step(w);
        count++;
      }
    }),
  );
  return count / (Number(process.hrtime.bigint() - started) / 1e9);
}

let round = 0;
const nextStream = () => `instance-${round++}-${randomUUID()}`;

/** Plain prepared INSERTs of `batch` rows each, every writer on a stream of its own. */
function rawInsert(batch: number, writers: number): (writer: number) => Promise<void> {
  const streams = Array.from({ length: writers }, nextStream);
  const versions = new Array(writers).fill(0);
  const json = JSON.stringify(data);
  const meta = JSON.stringify(metadata);
  return async (w) => {
    const values: unknown[] = [];
    const rows = [];
    for (let b = 0; b < batch; b++) {
      const p = values.length;
      rows.push(`($${p + 1}, $${p + 2}, $${p + 3}, $${p + 4}, $${p + 5}, $${p + 6}, $${p + 7})`);
      values.push(randomUUID(), streams[w], ++versions[w], 'InstanceRequested', json, meta, new Date().toISOString());
    }
    // Prepared like the event store's append, so the ratio compares the work done, not the parsing.
    await pool.query({
      name: `raw_insert_${batch}`,
      text: `INSERT INTO raw_events (event_id, stream_id, version, type, data, metadata, occurred_at) VALUES ${rows.join(', ')}`,
      values,
    });
  };
}

/** Appends of `batch` events each, every writer on a stream of its own. */
function append(batch: number, writers: number): (writer: number) => Promise<void> {
  const streams = Array.from({ length: writers }, nextStream);
  const versions = new Array(writers).fill(0);
  const events = Array.from({ length: batch }, () => ({ type: 'InstanceRequested', data }));
  return async (w) => {
    await store.append(streams[w], events, { expectedVersion: versions[w], metadata });
    versions[w] += batch;
  };
}

const median = (values: number[]) => [...values].sort((a, b) => a - b)[Math.floor(values.length / 2)];

/**
 * Raw INSERTs and appends after a short warm-up, in ROUNDS rounds of SECONDS / ROUNDS each, each
 * first in turn: the medians, and the median of the rounds' own ratios, so a load the shared
 * machine carried weighs on both.
 */
async function compare(batch: number, writers: number) {
  const [raw, appends] = [rawInsert(batch, writers), append(batch, writers)];
  await rate(writers, 500, raw);
  await rate(writers, 500, appends);
  const ms = (SECONDS * 1000) / ROUNDS;
  const rounds: { raw: number; appends: number }[] = [];
  for (let r = 0; r < ROUNDS; r++) {
    if (r % 2 === 0) rounds.push({ raw: await rate(writers, ms, raw), appends: await rate(writers, ms, appends) });
    else rounds.push({ appends: await rate(writers, ms, appends), raw: await rate(writers, ms, raw) });
  }
  return {
    raw: median(rounds.map((r) => r.raw)),
    appends: median(rounds.map((r) => r.appends)),
    ratio: median(rounds.map((r) => r.appends / r.raw)),
  };
}

async function relayRate(): Promise<{ events: number; perSecond: number }> {
  const nats = await connect({ servers: TEST_NATS_URL });
  const { rows } = await pool.query<{ count: string }>('SELECT count(*) FROM events');
  const total = Number(rows[0].count);
  const relay = new EventRelay({ store, service, nats, logger: quiet, batchSize: 1000 });
  const started = process.hrtime.bigint();
  relay.start();
  for (;;) {
    const { rows: done } = await pool.query<{ global_position: string }>(
      "SELECT global_position FROM relay_checkpoints WHERE relay = $1",
      [relay.name],
    );
    if (done[0] && Number(done[0].global_position) >= total) break;
    await new Promise((resolve) => setTimeout(resolve, 20));
  }
  const seconds = Number(process.hrtime.bigint() - started) / 1e9;
  await relay.stop();
  await (await jetstreamManager(nats)).streams.delete(eventStreamName(service));
  await nats.close();
  return { events: total, perSecond: total / seconds };
}

const round1 = (n: number) => Math.round(n);
try {
  const results: Record<string, unknown> = {};
  for (const [name, batch, writers] of [
    ['singleEvent1Writer', 1, 1],
    ['singleEvent8Writers', 1, 8],
    ['batch100Events1Writer', 100, 1],
  ] as const) {
    const { raw, appends, ratio } = await compare(batch, writers);
    results[name] = {
      appendsPerSecond: round1(appends),
      eventsPerSecond: round1(appends * batch),
      rawInsertsPerSecond: round1(raw),
      ratioToRaw: Math.round(ratio * 100) / 100,
    };
  }
  const relay = await relayRate();
  results.relay = { eventsPublished: relay.events, eventsPerSecond: round1(relay.perSecond) };
  const { rows } = await pool.query("SELECT current_setting('synchronous_commit') AS synchronous_commit, current_setting('fsync') AS fsync");
  console.log(JSON.stringify({ seconds: SECONDS, rounds: ROUNDS, postgres: rows[0], ...results }, null, 2));
} finally {
  await pool.query(`DROP SCHEMA ${schema} CASCADE`);
  await pool.end();
}
