import { Logger, type OnApplicationBootstrap, type OnApplicationShutdown } from '@nestjs/common';
import type { EventStore, RecordedEvent } from '#libs/event-store';

/**
 * Logs an aggregate's facts as an operator reads them, once each, in the process that appended
 * them, once committed (EventStore's onAppended): `facts` names the event types that are facts,
 * with their message; a subclass says what else a line holds, from what it reads once per append
 * (by default the stream's history, or nothing where no fact needs it).
 */
export abstract class FactLog<Type extends string, Context = readonly RecordedEvent[]> implements OnApplicationBootstrap, OnApplicationShutdown {
  protected readonly logger: Logger;
  private unsubscribe: (() => void) | undefined;

  constructor(
    protected readonly store: EventStore,
    context: string,
    private readonly facts: Partial<Record<Type, string>>,
  ) {
    this.logger = new Logger(context);
  }

  onApplicationBootstrap(): void {
    this.unsubscribe = this.store.onAppended((events) => {
      if (!events.some((event) => event.type in this.facts)) return;
      this.logAppended(events).catch((error: Error) => this.logger.warn(`facts of ${events[0].streamId} not logged: ${error.message}`));
    });
  }

  onApplicationShutdown(): void {
    this.unsubscribe?.();
  }

  /** What the lines of this append (one stream's events) need, read once for all of them. */
  protected abstract context(appended: readonly RecordedEvent[]): Promise<Context>;

  /** A fact's line beside its message and correlation id. */
  protected abstract fields(event: RecordedEvent, context: Context): Record<string, unknown>;

  private async logAppended(appended: readonly RecordedEvent[]): Promise<void> {
    const context = await this.context(appended);
    for (const event of appended) {
      const message = this.facts[event.type as Type];
      if (message) this.logger.log({ msg: message, ...this.fields(event, context), correlationId: event.metadata.correlationId });
    }
  }
}
