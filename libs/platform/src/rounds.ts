import type { LoggerService } from '@nestjs/common';
import { RecurringFailure } from './logging.js';

/**
 * A job's rounds, every `everyMs`: a round at a time (one asked for while another runs joins it), a
 * failing one logged once as RecurringFailure logs it. Stopping waits for the round under way.
 */
export class Rounds {
  private timer: NodeJS.Timeout | undefined;
  private running: Promise<void> | undefined;
  private readonly failures: RecurringFailure;

  constructor(
    private readonly everyMs: number,
    logger: Pick<LoggerService, 'log' | 'warn' | 'error' | 'debug'>,
    what: string,
    private readonly round: () => Promise<void>,
  ) {
    this.failures = new RecurringFailure(logger, what);
  }

  /** Rounds every `everyMs` from now; the first at once too where `now` says so. */
  start(options: { now?: boolean } = {}): void {
    this.timer = setInterval(() => void this.once(), this.everyMs);
    if (options.now) void this.once();
  }

  /** A round now, where none is under way; else the one under way. */
  once(): Promise<void> {
    return (this.running ??= this.failures.run(this.round).finally(() => (this.running = undefined)));
  }

  async stop(): Promise<void> {
    clearInterval(this.timer);
    await this.running;
  }
}
