import type { Logger } from '@nestjs/common';
import { RecurringFailure } from '#libs/platform';

/**
 * Runs `task` now and every `intervalMs`, skipping a turn while the previous one still runs; while
 * it keeps failing (NATS away, a storage that errs), the log says so once, and once when it works again.
 */
export function runEvery(intervalMs: number, task: () => Promise<unknown>, logger: Logger, what: string): NodeJS.Timeout {
  const failures = new RecurringFailure(logger, what);
  let running = false;
  const run = () => {
    if (running) return;
    running = true;
    void failures.run(task).finally(() => (running = false));
  };
  run();
  return setInterval(run, intervalMs);
}
