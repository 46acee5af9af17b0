import { Injectable } from '@nestjs/common';
import { FactLog } from '#libs/event-sourcing';
import { EventStore, type RecordedEvent } from '#libs/event-store';
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

/** The instance's stream up to the append, and its state after each of its events. */
interface InstanceHistory {
  history: RecordedEvent[];
  requested: Extract<InstanceEvent, { type: 'InstanceRequested' }>;
  /** states[v]: after the stream's first v events. */
  states: InstanceState[];
}

/**
 * Each instance fact with its account, its host, the operation it ends and how long that took
 * from its request, and the correlation id of what caused it (a request's, `timeout-…`, `evacuation-…`).
 */
@Injectable()
export class InstanceFacts extends FactLog<InstanceEvent['type'], InstanceHistory> {
  constructor(store: EventStore) {
    super(store, 'instances', FACTS);
  }

  protected async context(appended: readonly RecordedEvent[]): Promise<InstanceHistory> {
    const history = await this.store.readStream(appended[0].streamId);
    const last = appended.at(-1)!.version;
    let state = instanceDecider.initialState();
    const states: InstanceState[] = [state];
    for (const event of history.filter((e) => e.version <= last)) states.push((state = instanceDecider.evolve(state, event as unknown as InstanceEvent)));
    return { history, requested: history[0] as unknown as InstanceHistory['requested'], states };
  }

  protected fields(event: RecordedEvent, { history, requested, states }: InstanceHistory): Record<string, unknown> {
    const operation = states[event.version - 1].operation;
    const since = operation && history[(CREATION.includes(operation.kind) ? 1 : operation.version) - 1];
    const data = event.data as { reason?: string; fromHostId?: string };
    const migration = event.type === 'InstanceMigrated' || event.type === 'InstanceMigrationRequested';
    return {
      instanceId: instanceIdOf(event.streamId),
      accountId: requested.data.accountId,
      // A create's host is the one it was scheduled on, in the same append.
      hostId: states[event.version].hostId ?? states.at(-1)!.hostId,
      ...(event.type === 'InstanceRequested' ? { kind: requested.data.kind, planId: requested.data.planId, regionId: requested.data.regionId } : {}),
      ...(migration ? { fromHostId: data.fromHostId } : {}),
      ...(operation && event.type !== 'InstanceMigrationRequested' ? { operation: operation.kind } : {}),
      ...(since && event.type !== 'InstanceMigrationRequested' ? { durationMs: Date.parse(event.occurredAt) - Date.parse(since.occurredAt) } : {}),
      ...(data.reason ? { reason: data.reason } : {}),
    };
  }
}
