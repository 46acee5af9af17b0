import { randomUUID } from 'node:crypto';
import { jest } from '@jest/globals';
import { SYSTEM_ACTOR, type ComputeEvents, type EventMetadata } from '#libs/contracts';
import { EventStore, fold, handleCommand, readState, withTransaction, type DomainEvent, type RecordedEvent } from '#libs/event-store';
import { migrateEventStore } from '#libs/event-sourcing';
import { createTestDatabase, type TestDatabase } from '#libs/testing';
import { computeEventStore } from '../compute.event-store.js';
import { InstanceFacts } from './instance-facts.js';
import { instanceDecider, instanceStreamId, type InstanceCommand } from './instance.decider.js';

const metadata: EventMetadata = { correlationId: 'c-facts', causationId: null, actor: SYSTEM_ACTOR };
const CYCLES = 600;

/**
 * An instance's facts as the log says them, on a long-lived instance (a create, then 2,400 events of
 * stops and starts before the facts looked at): each line names its account, its host, the operation
 * it ends and how long that took, from the state the append was decided on and the few events the
 * line names, the same as when the stream is folded.
 */
describe('the instance fact log on PostgreSQL', () => {
  let db: TestDatabase;
  let store: EventStore;
  const appends: { events: readonly RecordedEvent[]; decidedOn: unknown }[] = [];

  beforeAll(async () => {
    db = await createTestDatabase('compute');
    await migrateEventStore(db.pool, { ...computeEventStore, service: db.schema });
    await db.pool.query("INSERT INTO regions (id, name, dns_zone) VALUES ('facts', 'Facts test', 'awan.test')");
    await db.pool.query("INSERT INTO plans (id, name, kind, vcpus, memory_mb, disk_gb) VALUES ('facts-small', 'Small', 'CONTAINER', 1, 512, 5)");
    store = new EventStore(db.pool, db.schema, computeEventStore.projections);
    store.onAppended((events, decidedOn) => appends.push({ events, decidedOn }));
  });
  afterAll(() => db.close());

  it("says what each fact ended and how long it took, without reading a long-lived instance's stream", async () => {
    const request: ComputeEvents['InstanceRequested'] = {
      instanceId: randomUUID(), accountId: 'acme', name: 'long-lived', kind: 'CONTAINER', imageId: 'dev-busybox-rootfs', planId: 'facts-small',
      regionId: 'facts', billingCycle: 'HOURLY',
    };
    const streamId = instanceStreamId(request.instanceId);
    const command = (c: InstanceCommand) => handleCommand(store, streamId, instanceDecider, c, metadata);
    const operationVersion = async () => (await readState(store, streamId, instanceDecider)).state.operation!.version;

    // A create as compute makes it: requested and scheduled in one append, then addressed and run.
    const requested = instanceDecider.decide({ type: 'RequestInstance', request }, instanceDecider.initialState());
    const scheduled = instanceDecider.decide({ type: 'ScheduleInstance', requestVersion: 1, hostId: 'node-1' }, fold(instanceDecider, requested));
    await withTransaction(db.pool, (tx) => store.appendToStreams([{ streamId, events: [...requested, ...scheduled], expectedVersion: 0 }], { metadata, tx }));
    await command({ type: 'AssignAddresses', addresses: [] });
    await command({ type: 'CompleteOperation', requestVersion: await operationVersion() });

    // Years of stops and starts, appended apart from any decision.
    let { state, version } = await readState(store, streamId, instanceDecider);
    const cycles: DomainEvent[] = [];
    for (let i = 0; i < CYCLES * 2; i++) {
      for (const c of [state.status === 'RUNNING' ? { type: 'StopInstance', force: false } as const : { type: 'StartInstance' } as const, null]) {
        for (const event of instanceDecider.decide(c ?? { type: 'CompleteOperation', requestVersion: state.operation!.version }, state)) {
          cycles.push(event);
          state = instanceDecider.evolve(state, event);
        }
      }
    }
    for (let i = 0; i < cycles.length; i += 1000) {
      await store.append(streamId, cycles.slice(i, i + 1000), { expectedVersion: version + i, metadata });
    }

    await command({ type: 'StopInstance', force: false });
    await command({ type: 'CompleteOperation', requestVersion: await operationVersion() });
    await command({ type: 'MigrateInstance', toHostId: 'node-2', reason: 'admin' });
    await command({ type: 'CompleteMigration', requestVersion: await operationVersion(), toHostId: 'node-2' });
    await command({ type: 'StartInstance' });
    await command({ type: 'FailOperation', requestVersion: await operationVersion(), reason: 'the guest would not boot' });

    const history = await store.readStream(streamId);
    expect(history.length).toBeGreaterThan(CYCLES * 4);
    const at = (type: string) => history.findLast((event) => event.type === type)!;
    const msBetween = (from: RecordedEvent, to: RecordedEvent) => Date.parse(to.occurredAt) - Date.parse(from.occurredAt);

    const facts = new InstanceFacts(store);
    const readWhole = jest.spyOn(store, 'readStream');
    // The create's append and those of commands (the stops and starts were appended apart from any decision).
    const decided = appends.filter(({ events, decidedOn }) => events[0].streamId === streamId && (events[0].version === 1 || decidedOn !== undefined));
    const lines = (await Promise.all(decided.map(({ events, decidedOn }) => facts.lines(events, decidedOn)))).flat();
    expect(readWhole).not.toHaveBeenCalled();
    readWhole.mockRestore();

    const base = { instanceId: request.instanceId, accountId: 'acme', correlationId: 'c-facts' };
    expect(lines).toEqual([
      { ...base, msg: 'instance requested', hostId: 'node-1', kind: 'CONTAINER', planId: 'facts-small', regionId: 'facts' },
      { ...base, msg: 'instance started', hostId: 'node-1', operation: 'create', durationMs: msBetween(history[0], history[3]) },
      { ...base, msg: 'instance stopped', hostId: 'node-1', operation: 'stop', durationMs: msBetween(at('InstanceStopRequested'), at('InstanceStopped')) },
      { ...base, msg: 'instance migration requested', hostId: 'node-1', fromHostId: 'node-1', reason: 'admin' },
      { ...base, msg: 'instance migrated', hostId: 'node-2', fromHostId: 'node-1', operation: 'migrate', durationMs: msBetween(at('InstanceMigrationRequested'), at('InstanceMigrated')) },
      { ...base, msg: 'instance failed', hostId: 'node-2', operation: 'start', durationMs: msBetween(at('InstanceStartRequested'), at('InstanceFailed')), reason: 'the guest would not boot' },
    ]);
    expect(history[3].type).toBe('InstanceStarted');

    // An append that did not say what it was decided on: the stream is folded up to it, to the same lines.
    const folded = (await Promise.all(decided.map(({ events }) => facts.lines(events)))).flat();
    expect(folded).toEqual(lines);
  });
});
