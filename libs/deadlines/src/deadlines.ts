import { AsyncLocalStorage } from 'node:async_hooks';
import { AppError } from '#libs/contracts';

/**
 * The deadline of the request a service is handling. A caller that stops waiting answers
 * UNAVAILABLE, which the API promises is safe to retry: whatever the request would have changed
 * must then not be recorded. So the service handles each request under the time its caller still
 * waits (libs/messaging carries it), a transaction past it rolls back instead of committing
 * (libs/event-store), and a request the handler makes in turn waits no longer than the time left.
 * Work with no deadline (an event consumer, a timer, a request sent without one) is never refused.
 */
const deadlines = new AsyncLocalStorage<number>();

/** Runs `work` under the deadline `at` (a performance.now() time), or under none. */
export function withDeadlineAt<T>(at: number | undefined, work: () => T): T {
  return at === undefined ? deadlines.exit(work) : deadlines.run(at, work);
}

/** Runs `work` as the handling of a request whose caller waits `ms` more. */
export const withDeadline = <T>(ms: number, work: () => T): T => withDeadlineAt(performance.now() + ms, work);

/**
 * Runs `work` whatever the deadline of the request being handled: a write that records how an
 * earlier, committed step ended (a console session its host never attached) is kept however late it comes.
 */
export const withoutDeadline = <T>(work: () => T): T => withDeadlineAt(undefined, work);

/** The deadline of the request being handled (a performance.now() time), if it has one. */
export const currentDeadline = (): number | undefined => deadlines.getStore();

/** How long the request being handled may still take (0 once past it), if it has a deadline. */
export function deadlineLeft(): number | undefined {
  const at = deadlines.getStore();
  return at === undefined ? undefined : Math.max(0, at - performance.now());
}

/**
 * Refuses to record anything more (UNAVAILABLE) once the request being handled is past its deadline:
 * its caller has answered UNAVAILABLE already, and may be retrying it.
 */
export function refuseAfterDeadline(): void {
  if (deadlineLeft() === 0) throw AppError.unavailable('not done in the time its caller waits: nothing of it was recorded, retry');
}
