// What a command on an instance pays to learn its state as the instance's stream grows (a long-lived
// instance: years of stops, starts and backups): folded from its events, as every command once did,
// against read from the instances row that keeps it (the projection's `keeps`), in the same run on the
// same streams. Reads per second on one connection at each stream length, alternating rounds. Then the
// same for the log line of the instance's last fact (InstanceFacts): from the state its append was
// decided on, against folding the stream up to it, as the line once did; and for a command on a
// firewall attached to each instance an account makes (network's firewalls row and attachments). Prints JSON.
// Usage: npm run bench:kept-state   (DATABASE_URL as for the tests; BENCH_SECONDS per length, default 4)
import { randomUUID } from 'node:crypto';
import { isDeepStrictEqual } from 'node:util';
import { SYSTEM_ACTOR, type ComputeEvents } from '#libs/contracts';
import { createPool, EventStore, readState, type DomainEvent, type RecordedEvent } from '#libs/event-store';
import { migrateEventStore } from '#libs/event-sourcing';
import { TEST_DATABASE_URL, uniqueName } from '#libs/testing';
import { computeEventStore } from '../../apps/compute/src/compute.event-store.js';
import { InstanceFacts } from '../../apps/compute/src/instances/instance-facts.js';
import { instanceDecider, instanceStreamId, type InstanceCommand, type InstanceState } from '../../apps/compute/src/instances/instance.decider.js';
import { firewallDecider, firewallStreamId, type FirewallCommand } from '../../apps/network/src/firewalls/firewall.decider.js';
import { networkEventStore } from '../../apps/network/src/network.event-store.js';

const SECONDS = Number(process.env.BENCH_SECONDS ?? 4);
const ROUNDS = 4;
const LENGTHS = [10, 100, 1000, 5000];
const metadata = { correlationId: randomUUID(), causationId: null, actor: SYSTEM_ACTOR };

const schema = uniqueName('bench');
const pool = createPool(TEST_DATABASE_URL, { schema, max: 2 });
await migrateEventStore(pool, { ...computeEventStore, service: schema });
await pool.query("INSERT INTO regions (id, name, dns_zone) VALUES ('bench', 'Bench', 'awan.test')");
await pool.query("INSERT INTO plans (id, name, kind, vcpus, memory_mb, disk_gb) VALUES ('bench-vm', 'VM', 'VM', 1, 512, 10)");
const networkSchema = uniqueName('bench');
const networkPool = createPool(TEST_DATABASE_URL, { schema: networkSchema, max: 2 });
await migrateEventStore(networkPool, { ...networkEventStore, service: networkSchema });

/** A store with a service's projections, and one with the same projections keeping no state: readState folds the stream. */
const storesOf = (storePool: typeof pool, storeSchema: string, projections: typeof computeEventStore.projections) => ({
  kept: new EventStore(storePool, storeSchema, projections),
  folded: new EventStore(storePool, storeSchema, projections.map(({ keeps: _keeps, ...projection }) => projection)),
});
const { kept, folded } = storesOf(pool, schema, computeEventStore.projections);
const firewalls = storesOf(networkPool, networkSchema, networkEventStore.projections);

/**
 * An instance's stream of `length` events: created, then stopped and started (as a user would) until
 * it is that long; with its last event (a stop's or a start's end, a fact) and the state before it.
 */
async function instanceOf(length: number): Promise<{ streamId: string; last: RecordedEvent; before: InstanceState }> {
  const request: ComputeEvents['InstanceRequested'] = {
    instanceId: randomUUID(), accountId: 'bench', name: `i${length}`, kind: 'VM', imageId: 'bench-image', planId: 'bench-vm', regionId: 'bench', billingCycle: 'HOURLY',
  };
  let state = instanceDecider.initialState();
  const events: DomainEvent[] = [];
  let before = state;
  const decide = (command: InstanceCommand) => {
    for (const event of instanceDecider.decide(command, state)) {
      events.push(event);
      before = state;
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
  let last: RecordedEvent | undefined;
  for (let i = 0; i < length; i += 500) last = (await kept.append(streamId, events.slice(i, Math.min(i + 500, length)), { expectedVersion: i, metadata })).at(-1);
  return { streamId, last: last!, before };
}

/** A firewall's stream of `length` events: created, then attached to each new instance of its account and detached from the oldest beyond 10. */
async function firewallOf(length: number): Promise<string> {
  const firewallId = randomUUID();
  let state = firewallDecider.initialState();
  const events: DomainEvent[] = [];
  const decide = (command: FirewallCommand) => {
    for (const event of firewallDecider.decide(command, state)) {
      events.push(event);
      state = firewallDecider.evolve(state, event);
    }
  };
  decide({ type: 'CreateFirewall', firewallId, accountId: 'bench', name: 'web', rules: [], instances: [] });
  while (events.length < length) {
    if (state.instanceIds.length < 10) decide({ type: 'AttachFirewall', instance: { instanceId: randomUUID(), accountId: 'bench', ended: false, firewalls: 0 } });
    else decide({ type: 'DetachFirewall', instanceId: state.instanceIds[0], reason: 'instance deleted' });
  }
  const streamId = firewallStreamId(firewallId);
  for (let i = 0; i < length; i += 500) await firewalls.kept.append(streamId, events.slice(i, i + 500), { expectedVersion: i, metadata });
  return streamId;
}

/** Calls of `work` per second for `ms`, one at a time. */
async function rate(work: () => Promise<unknown>, ms: number): Promise<number> {
  const deadline = Date.now() + ms;
  const started = process.hrtime.bigint();
  let count = 0;
  while (Date.now() < deadline) {
    await work();
    count++;
  }
  return count / (Number(process.hrtime.bigint() - started) / 1e9);
}

const median = (values: number[]) => [...values].sort((a, b) => a - b)[Math.floor(values.length / 2)];
const msOf = (perSecond: number) => Math.round(100_000 / perSecond) / 100;

/** The median calls per second of each of two ways, warmed, in alternating rounds. */
async function compare(ours: () => Promise<unknown>, folding: () => Promise<unknown>): Promise<{ ours: number; folding: number }> {
  await rate(ours, 300);
  await rate(folding, 300);
  const rounds: { ours: number; folding: number }[] = [];
  for (let r = 0; r < ROUNDS; r++) {
    const ms = (SECONDS * 1000) / ROUNDS / 4;
    if (r % 2 === 0) rounds.push({ ours: await rate(ours, ms), folding: await rate(folding, ms) });
    else rounds.push({ folding: await rate(folding, ms), ours: await rate(ours, ms) });
  }
  return { ours: median(rounds.map((r) => r.ours)), folding: median(rounds.map((r) => r.folding)) };
}

const facts = new InstanceFacts(kept);
try {
  const results: Record<string, unknown> = {};
  for (const length of LENGTHS) {
    const { streamId, last, before } = await instanceOf(length);
    const [fromRow, fromEvents] = await Promise.all([readState(kept, streamId, instanceDecider), readState(folded, streamId, instanceDecider)]);
    // As JSON, which is all a row keeps (a property set to undefined is no property).
    const asJson = (value: unknown) => JSON.parse(JSON.stringify(value));
    if (!isDeepStrictEqual(asJson(fromRow), asJson(fromEvents)) || fromRow.version !== length) throw new Error(`the kept state of ${streamId} is not its events folded`);
    const [line, foldedLine] = await Promise.all([facts.lines([last], before), facts.lines([last])]);
    if (line.length !== 1 || !isDeepStrictEqual(line, foldedLine)) throw new Error(`the fact line of ${streamId} is not the one its stream folds to`);

    const firewall = await firewallOf(length);
    const [firewallFromRow, firewallFromEvents] = await Promise.all([readState(firewalls.kept, firewall, firewallDecider), readState(firewalls.folded, firewall, firewallDecider)]);
    if (!isDeepStrictEqual(firewallFromRow, firewallFromEvents) || firewallFromRow.version !== length) throw new Error(`the kept state of ${firewall} is not its events folded`);

    const reads = await compare(() => readState(kept, streamId, instanceDecider), () => readState(folded, streamId, instanceDecider));
    const lines = await compare(() => facts.lines([last], before), () => facts.lines([last]));
    const firewallReads = await compare(() => readState(firewalls.kept, firewall, firewallDecider), () => readState(firewalls.folded, firewall, firewallDecider));
    results[`events${length}`] = {
      keptReadsPerSecond: Math.round(reads.ours),
      foldedReadsPerSecond: Math.round(reads.folding),
      keptMs: msOf(reads.ours),
      foldedMs: msOf(reads.folding),
      factLineMs: msOf(lines.ours),
      factLineFoldedMs: msOf(lines.folding),
      firewallKeptMs: msOf(firewallReads.ours),
      firewallFoldedMs: msOf(firewallReads.folding),
    };
  }
  console.log(JSON.stringify({ scope: "a command's read of an instance's state and a firewall's, and an instance fact's log line, one connection", secondsPerLength: SECONDS, ...results }, null, 2));
} finally {
  await pool.query(`DROP SCHEMA ${schema} CASCADE`);
  await networkPool.query(`DROP SCHEMA ${networkSchema} CASCADE`);
  await Promise.all([pool.end(), networkPool.end()]);
}
