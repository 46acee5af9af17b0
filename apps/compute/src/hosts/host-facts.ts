import { Injectable, Logger, type OnApplicationBootstrap, type OnApplicationShutdown } from '@nestjs/common';
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

/**
 * Logs each host fact once, in the process that appended it, once committed: UP with how long
 * the host was DOWN, DOWN (its instances are restarted elsewhere: `instance migration requested`).
 */
@Injectable()
export class HostFacts implements OnApplicationBootstrap, OnApplicationShutdown {
  private readonly logger = new Logger('hosts');
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
    const history = appended.some((event) => event.type === 'HostUp') ? await this.store.readStream(appended[0].streamId) : [];
    for (const event of appended) {
      const message = FACTS[event.type as HostEvent['type']];
      if (!message) continue;
      const { userKey: _key, ...data } = event.data as { userKey?: string };
      const down = event.type === 'HostUp' ? history.findLast((e) => e.type === 'HostDown' && e.version < event.version) : undefined;
      this.logger.log({
        msg: message,
        ...data,
        ...(down ? { downForMs: Date.parse(event.occurredAt) - Date.parse(down.occurredAt) } : {}),
        correlationId: event.metadata.correlationId,
      });
    }
  }
}
