import { Injectable } from '@nestjs/common';
import { FactLog } from '#libs/event-sourcing';
import { EventStore, type RecordedEvent } from '#libs/event-store';
import type { HostEvent } from './host.decider.js';

/** A host's life as an operator reads it in the log. */
const FACTS: Partial<Record<HostEvent['type'], string>> = {
  HostRegistered: 'host registered',
  HostEnrolled: 'host enrolled',
  HostUp: 'host UP',
  HostDown: 'host DOWN',
  HostMaintenanceChanged: 'host maintenance changed',
  HostRetired: 'host retired',
};

/** Each host fact: UP with how long the host was DOWN, DOWN (its instances are restarted elsewhere: `instance migration requested`). */
@Injectable()
export class HostFacts extends FactLog<HostEvent['type'], ReadonlyMap<number, RecordedEvent>> {
  constructor(store: EventStore) {
    super(store, 'hosts', FACTS);
  }

  protected context(appended: readonly RecordedEvent[]): Promise<ReadonlyMap<number, RecordedEvent>> {
    return this.lastBeforeEach(appended, 'HostUp', 'HostDown');
  }

  protected fields(event: RecordedEvent, downBefore: ReadonlyMap<number, RecordedEvent>): Record<string, unknown> {
    const { userKey: _key, ...data } = event.data as { userKey?: string };
    const down = downBefore.get(event.version);
    return { ...data, ...(down ? { downForMs: Date.parse(event.occurredAt) - Date.parse(down.occurredAt) } : {}) };
  }
}
