import { Logger, type OnApplicationBootstrap, type OnApplicationShutdown } from '@nestjs/common';
import type { EventStore, RecordedEvent } from '#libs/event-store';

/** A fact as its log line holds it, beside the time and the service. */
export interface FactLine extends Record<string, unknown> {
  msg: string;
  correlationId: string;
}

/**
 * Logs an aggregate's facts as an operator reads them, once each, in the process that appended
 * them, once committed (EventStore's onAppended): `facts` names the event types that are facts,
 * with their message; a subclass says what else a line holds, from what it reads once per append
 * (the few earlier events a line names, or nothing where no fact needs any).
 */
export abstract class FactLog<Type extends string, Context> implements OnApplicationBootstrap, OnApplicationShutdown {
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
    this.unsubscribe = this.store.onAppended((events, decidedOn) => {
      if (!events.some((event) => event.type in this.facts)) return;
      this.lines(events, decidedOn).then(
        (lines) => lines.forEach((line) => this.logger.log(line)),
        (error: Error) => this.logger.warn(`facts of ${events[0].streamId} not logged: ${error.message}`),
      );
    });
  }

  onApplicationShutdown(): void {
    this.unsubscribe?.();
  }

  /** The lines of one append's facts (one stream's events, and the state they were decided on where the appender said). */
  async lines(appended: readonly RecordedEvent[], decidedOn?: unknown): Promise<FactLine[]> {
    const context = await this.context(appended, decidedOn);
    return appended.flatMap((event) => {
      const message = this.facts[event.type as Type];
      return message ? [{ msg: message, ...this.fields(event, context), correlationId: event.metadata.correlationId }] : [];
    });
  }

  /** What the lines of this append need, read once for all of them. */
  protected abstract context(appended: readonly RecordedEvent[], decidedOn: unknown): Promise<Context>;

  /** A fact's line beside its message and correlation id. */
  protected abstract fields(event: RecordedEvent, context: Context): Record<string, unknown>;

  /**
   * For each of the append's `of` events (an UP), the stream's last `type` event before it (the DOWN),
   * found in the append or read back from where the append starts, by version: how long after it the fact came.
   */
  protected async lastBeforeEach(appended: readonly RecordedEvent[], of: Type, type: Type): Promise<ReadonlyMap<number, RecordedEvent>> {
    const found = new Map<number, RecordedEvent>();
    let last: RecordedEvent | null | undefined; // undefined: not read yet
    for (const event of appended) {
      if (event.type === of) {
        if (last === undefined) last = await this.store.lastBefore(event.streamId, type, appended[0].version);
        if (last) found.set(event.version, last);
      }
      if (event.type === type) last = event;
    }
    return found;
  }
}
