// What a command on an instance pays to learn its state as the instance's stream grows (a long-lived
// instance: years of stops, starts and backups): folded from its events, as every command once did,
// against read from the instances row that keeps it (the projection's `keeps`), in the same run on the
// same streams. Reads per second on one connection at each stream length, alternating rounds. Prints JSON.
// Usage: npm run bench:kept-state   (DATABASE_URL as for the tests; BENCH_SECONDS per length, default 4)
import { randomUUID } from 'node:crypto';
import { isDeepStrictEqual } from 'node:util';
import { SYSTEM_ACTOR, type ComputeEvents } from '#libs/contracts';
import { createPool, EventStore, readState, type DomainEvent } from '#libs/event-store';
import { migrateEventStore } from '#libs/event-sourcing';
import { TEST_DATABASE_URL, uniqueName } from '#libs/testing';
import { computeEventStore } from '../../apps/compute/src/compute.event-store.js';
import { instanceDecider, instanceStreamId, type InstanceCommand } from '../../apps/compute/src/instances/instance.decider.js';

const SECONDS = Number(process.env.BENCH_SECONDS ?? 4);
const ROUNDS = 4;
const LENGTHS = [10, 100, 1000, 5000];
const metadata = { correlationId: randomUUID(), causationId: null, actor: SYSTEM_ACTOR };

const schema = uniqueName('bench');
const pool = createPool(TEST_DATABASE_URL, { schema, max: 2 });
await migrateEventStore(pool, { ...computeEventStore, service: schema });
await pool.query("INSERT INTO regions (id, name, dns_zone) VALUES ('bench', 'Bench', 'awan.test')");
await pool.query("INSERT INTO plans (id, name, kind, vcpus, memory_mb, disk_gb) VALUES ('bench-vm', 'VM', 'VM', 1, 512, 10)");
const kept = new EventStore(pool, schema, computeEventStore.projections);
// The same projections, none keeping a state: readState folds the stream.
const folded = new EventStore(pool, schema, computeEventStore.projections.map(({ keeps: _keeps, ...projection }) => projection));

/** An instance's stream of `length` events: created, then stopped and started (as a user would) until it is that long. */
async function instanceOf(length: number): Promise<string> {
  const request: ComputeEvents['InstanceRequested'] = {
    instanceId: randomUUID(), accountId: 'bench', name: `i${length}`, kind: 'VM', imageId: 'bench-image', planId: 'bench-vm', regionId: 'bench', billingCycle: 'HOURLY',
  };
  let state = instanceDecider.initialState();
  const events: DomainEvent[] = [];
  const decide = (command: InstanceCommand) => {
    for (const event of instanceDecider.decide(command, state)) {
      events.push(event);
      state = instanceDecider.evolve(state, event);
    }
  };
  const complete = () => decide({ type: 'CompleteOperation', requestVersion: state.operation!.version });
  decide({ type: 'RequestInstance', request });
  decide({ type: 'ScheduleInstance', requestVersion: 1, hostId: 'bench-host' });
  decide({ type: 'AssignAddresses', addresses: [{ ipId: randomUUID(), family: 'IPV4', address: '198.51.100.9', prefixLength: 25, gateway: '198.51.100.1', bridge: 'awanbr0' }] });
  complete();
  while (events.length < length) {
    decide(state.status === 'RUNNING' ? { type: 'StopInstance', force: false } : { type: 'StartInstance' });
    complete();
  }
  const streamId = instanceStreamId(request.instanceId);
  for (let i = 0; i < length; i += 500) await kept.append(streamId, events.slice(i, Math.min(i + 500, length)), { expectedVersion: i, metadata });
  return streamId;
}

/** readState calls per second on `streamId` for `ms`. */
async function rate(store: EventStore, streamId: string, ms: number): Promise<number> {
  const deadline = Date.now() + ms;
  const started = process.hrtime.bigint();
  let count = 0;
  while (Date.now() < deadline) {
    await readState(store, streamId, instanceDecider);
    count++;
  }
  return count / (Number(process.hrtime.bigint() - started) / 1e9);
}

const median = (values: number[]) => [...values].sort((a, b) => a - b)[Math.floor(values.length / 2)];
try {
  const results: Record<string, unknown> = {};
  for (const length of LENGTHS) {
    const streamId = await instanceOf(length);
    const [fromRow, fromEvents] = await Promise.all([readState(kept, streamId, instanceDecider), readState(folded, streamId, instanceDecider)]);
    // As JSON, which is all a row keeps (a property set to undefined is no property).
    const asJson = (value: unknown) => JSON.parse(JSON.stringify(value));
    if (!isDeepStrictEqual(asJson(fromRow), asJson(fromEvents)) || fromRow.version !== length) throw new Error(`the kept state of ${streamId} is not its events folded`);
    await rate(kept, streamId, 300);
    await rate(folded, streamId, 300);
    const rounds: { kept: number; folded: number }[] = [];
    for (let r = 0; r < ROUNDS; r++) {
      const ms = (SECONDS * 1000) / ROUNDS / 2;
      if (r % 2 === 0) rounds.push({ kept: await rate(kept, streamId, ms), folded: await rate(folded, streamId, ms) });
      else rounds.push({ folded: await rate(folded, streamId, ms), kept: await rate(kept, streamId, ms) });
    }
    const keptPerSecond = median(rounds.map((r) => r.kept));
    const foldedPerSecond = median(rounds.map((r) => r.folded));
    results[`events${length}`] = {
      keptReadsPerSecond: Math.round(keptPerSecond),
      foldedReadsPerSecond: Math.round(foldedPerSecond),
      keptMs: Math.round(100_000 / keptPerSecond) / 100,
      foldedMs: Math.round(100_000 / foldedPerSecond) / 100,
    };
  }
  console.log(JSON.stringify({ scope: "an instance command's read of its state, one connection", secondsPerLength: SECONDS, ...results }, null, 2));
} finally {
  await pool.query(`DROP SCHEMA ${schema} CASCADE`);
  await pool.end();
}
