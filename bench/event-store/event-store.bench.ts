// Event store throughput against raw INSERTs on the same server, printed as JSON.
// Usage: npm run bench:event-store   (DATABASE_URL, NATS_URL, BENCH_SECONDS optional)
import { randomUUID } from 'node:crypto';
import { connect } from '@nats-io/transport-node';
import { jetstreamManager } from '@nats-io/jetstream';
import { eventStreamName, SYSTEM_ACTOR } from '#libs/contracts';
import { createPool, EventRelay, EventStore, eventStoreMigrations, migrate, type Logger } from '#libs/event-store';
import { TEST_DATABASE_URL, TEST_NATS_URL, uniqueName } from '#libs/testing';

const SECONDS = Number(process.env.BENCH_SECONDS ?? 5);
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

/** Runs `writers` loops of `step` for SECONDS after a short warm-up; returns operations per second. */
async function rate(writers: number, step: (writer: number, i: number) => Promise<void>): Promise<number> {
  const run = async (ms: number) => {
    const deadline = Date.now() + ms;
    let count = 0;
    await Promise.all(
      Array.from({ length: writers }, async (_, w) => {
        for (let i = 0; Date.now() < deadline; i++) {
          await step(w, i);
          count++;
        }
      }),
    );
    return count;
  };
  await run(500);
  const started = process.hrtime.bigint();
  const count = await run(SECONDS * 1000);
  return count / (Number(process.hrtime.bigint() - started) / 1e9);
}

let round = 0;
const nextStream = () => `instance-${round++}-${randomUUID()}`;

async function rawInsert(batch: number, writers: number): Promise<number> {
  const streams = Array.from({ length: writers }, nextStream);
  const versions = new Array(writers).fill(0);
  const json = JSON.stringify(data);
  const meta = JSON.stringify(metadata);
  return rate(writers, async (w) => {
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
  });
}

async function append(batch: number, writers: number): Promise<number> {
  const streams = Array.from({ length: writers }, nextStream);
  const versions = new Array(writers).fill(0);
  const events = Array.from({ length: batch }, () => ({ type: 'InstanceRequested', data }));
  return rate(writers, async (w) => {
    await store.append(streams[w], events, { expectedVersion: versions[w], metadata });
    versions[w] += batch;
  });
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
const ratio = (n: number, raw: number) => Math.round((n / raw) * 100) / 100;
try {
  const results: Record<string, unknown> = {};
  for (const [name, batch, writers] of [
    ['singleEvent1Writer', 1, 1],
    ['singleEvent8Writers', 1, 8],
    ['batch100Events1Writer', 100, 1],
  ] as const) {
    const raw = await rawInsert(batch, writers);
    const appends = await append(batch, writers);
    results[name] = {
      appendsPerSecond: round1(appends),
      eventsPerSecond: round1(appends * batch),
      rawInsertsPerSecond: round1(raw),
      ratioToRaw: ratio(appends, raw),
    };
  }
  const relay = await relayRate();
  results.relay = { eventsPublished: relay.events, eventsPerSecond: round1(relay.perSecond) };
  const { rows } = await pool.query("SELECT current_setting('synchronous_commit') AS synchronous_commit, current_setting('fsync') AS fsync");
  console.log(JSON.stringify({ seconds: SECONDS, postgres: rows[0], ...results }, null, 2));
} finally {
  await pool.query(`DROP SCHEMA ${schema} CASCADE`);
  await pool.end();
}
