import { Injectable, Logger, type OnApplicationBootstrap, type OnApplicationShutdown } from '@nestjs/common';
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

/**
 * Logs each instance fact once, in the process that appended it, once committed (EventStore's
 * onAppended): with its account, its host, the operation it ends and how long that took from its
 * request, and the correlation id of what caused it (a request's, `timeout-…`, `evacuation-…`).
 */
@Injectable()
export class InstanceFacts implements OnApplicationBootstrap, OnApplicationShutdown {
  private readonly logger = new Logger('instances');
  private unsubscribe: (() => void) | undefined;

  constructor(private readonly store: EventStore) {}

  onApplicationBootstrap(): void {
    this.unsubscribe = this.store.onAppended((events) => {
      if (!events.some((event) => event.type in FACTS)) return;
      this.log(events).catch((error: Error) => this.logger.warn(`facts of ${events[0].streamId} not logged: ${error.message}`));
    });
  }

  onApplicationShutdown(): void {
    this.unsubscribe?.();
  }

  private async log(appended: readonly RecordedEvent[]): Promise<void> {
    const history = await this.store.readStream(appended[0].streamId);
    const requested = history[0] as unknown as Extract<InstanceEvent, { type: 'InstanceRequested' }>;
    const last = appended.at(-1)!.version;
    let state = instanceDecider.initialState();
    const states: InstanceState[] = [state]; // states[v]: after the stream's first v events
    for (const event of history.filter((e) => e.version <= last)) states.push((state = instanceDecider.evolve(state, event as unknown as InstanceEvent)));
    for (const event of appended) {
      const message = FACTS[event.type as InstanceEvent['type']];
      if (!message) continue;
      const before = states[event.version - 1];
      const operation = before.operation;
      const since = operation && history[(CREATION.includes(operation.kind) ? 1 : operation.version) - 1];
      const data = event.data as { reason?: string; fromHostId?: string };
      this.logger.log({
        msg: message,
        instanceId: instanceIdOf(event.streamId),
        accountId: requested.data.accountId,
        // A create's host is the one it was scheduled on, in the same append.
        hostId: states[event.version].hostId ?? state.hostId,
        ...(event.type === 'InstanceRequested' ? { kind: requested.data.kind, planId: requested.data.planId, regionId: requested.data.regionId } : {}),
        ...(event.type === 'InstanceMigrated' || event.type === 'InstanceMigrationRequested' ? { fromHostId: data.fromHostId } : {}),
        ...(operation && event.type !== 'InstanceMigrationRequested' ? { operation: operation.kind } : {}),
        ...(since && event.type !== 'InstanceMigrationRequested' ? { durationMs: Date.parse(event.occurredAt) - Date.parse(since.occurredAt) } : {}),
        ...(data.reason ? { reason: data.reason } : {}),
        correlationId: event.metadata.correlationId,
      });
    }
  }
}
