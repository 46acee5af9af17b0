import { Injectable } from '@nestjs/common';
import { FactLog } from '#libs/event-sourcing';
import { EventStore, fold, type RecordedEvent } from '#libs/event-store';
import { instanceDecider, instanceIdOf, type InstanceEvent, type InstanceOperation, type InstanceState } from './instance.decider.js';

/** An instance's life as an operator reads it in the log, one line per fact. */
const FACTS: Partial<Record<InstanceEvent['type'], string>> = {
  InstanceRequested: 'instance requested',
  InstanceStarted: 'instance started',
  InstanceStopped: 'instance stopped',
  InstanceDeleted: 'instance deleted',
  InstanceFailed: 'instance failed',
  InstanceMigrationRequested: 'instance migration requested',
  InstanceMigrated: 'instance migrated',
};

/** For the caller, finding a host, the addresses and the host's create are one wait: timed from the create request. */
const CREATION: readonly InstanceOperation[] = ['schedule', 'address', 'create'];

/** When an operation's wait began: a create's at the request (version 1), any other's at the event that asked for it. */
const startOf = (operation: NonNullable<InstanceState['operation']>) => (CREATION.includes(operation.kind) ? 1 : operation.version);

/** What an append's lines need, read once for all of them: states around its events, and the earlier events the lines name. */
interface InstanceAppend {
  first: number;
  /** states[i]: the instance before the append's i-th event; the last, after all of them. */
  states: InstanceState[];
  /** By version: its request and the events that began the operations the facts end, from the append or read back. */
  named: ReadonlyMap<number, RecordedEvent>;
}

/**
 * Each instance fact with its account, its host, the operation it ends and how long that took
 * from its request, and the correlation id of what caused it (a request's, `timeout-…`, `evacuation-…`).
 * A long-lived instance's stream is never read whole: the state the append was decided on says
 * what each fact ends, and only the events a line names are read back.
 */
@Injectable()
export class InstanceFacts extends FactLog<InstanceEvent['type'], InstanceAppend> {
  constructor(store: EventStore) {
    super(store, 'instances', FACTS);
  }

  protected async context(appended: readonly RecordedEvent[], decidedOn: unknown): Promise<InstanceAppend> {
    const { streamId, version: first } = appended[0];
    let state = await this.stateBefore(streamId, first, decidedOn as InstanceState | undefined);
    const states = [state];
    for (const event of appended) states.push((state = instanceDecider.evolve(state, event as unknown as InstanceEvent)));
    const named = new Map(appended.map((event) => [event.version, event]));
    const wanted = new Set([1]);
    appended.forEach((event, i) => {
      const operation = states[i].operation;
      if (operation && event.type in FACTS) wanted.add(startOf(operation));
    });
    for (const event of await this.store.readVersions(streamId, [...wanted].filter((version) => !named.has(version)))) named.set(event.version, event);
    return { first, states, named };
  }

  /** A new stream starts from nothing, and a decider's append says what it decided on; any other append's stream is folded up to it. */
  private async stateBefore(streamId: string, first: number, decidedOn: InstanceState | undefined): Promise<InstanceState> {
    if (first === 1) return instanceDecider.initialState();
    if (decidedOn?.version === first - 1) return decidedOn;
    const earlier = await this.store.readStream(streamId, undefined, { afterVersion: 0, limit: first - 1 });
    return fold(instanceDecider, earlier as unknown as InstanceEvent[]);
  }

  protected fields(event: RecordedEvent, { first, states, named }: InstanceAppend): Record<string, unknown> {
    const i = event.version - first;
    const operation = states[i].operation;
    const since = operation && named.get(startOf(operation));
    const requested = named.get(1) as unknown as Extract<InstanceEvent, { type: 'InstanceRequested' }>;
    const data = event.data as { reason?: string; fromHostId?: string };
    const migration = event.type === 'InstanceMigrated' || event.type === 'InstanceMigrationRequested';
    return {
      instanceId: instanceIdOf(event.streamId),
      accountId: requested.data.accountId,
      // A create's host is the one it was scheduled on, in the same append.
      hostId: states[i + 1].hostId ?? states.at(-1)!.hostId,
      ...(event.type === 'InstanceRequested' ? { kind: requested.data.kind, planId: requested.data.planId, regionId: requested.data.regionId } : {}),
      ...(migration ? { fromHostId: data.fromHostId } : {}),
      ...(operation && event.type !== 'InstanceMigrationRequested' ? { operation: operation.kind } : {}),
      ...(since && event.type !== 'InstanceMigrationRequested' ? { durationMs: Date.parse(event.occurredAt) - Date.parse(since.occurredAt) } : {}),
      ...(data.reason ? { reason: data.reason } : {}),
    };
  }
}
