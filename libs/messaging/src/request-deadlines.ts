import { Injectable, type CallHandler, type ExecutionContext, type NestInterceptor } from '@nestjs/common';
import type { NatsContext } from '@nestjs/microservices';
import type { MsgHdrs } from '@nats-io/transport-node';
import { Observable } from 'rxjs';
import { withDeadline } from '#libs/deadlines';

/**
 * How long a request's caller still waits for its answer, in milliseconds: relative, so that no two
 * clocks need agree. The service handles the request under it (libs/deadlines).
 */
export const DEADLINE_HEADER = 'Awan-Deadline-Ms';

/**
 * Part of a caller's wait kept back from the deadline it sends: the request's trip to the service and
 * its time queued there, the commit and the answer's trip back fit in it.
 */
export const REPLY_MARGIN_MS = 1000;

/** The deadline a request sent with a wait of `waitMs` carries: the margin kept back, at most half the wait. */
export const deadlineToSend = (waitMs: number): number => Math.max(1, Math.floor(waitMs - Math.min(REPLY_MARGIN_MS, waitMs / 2)));

/** The deadline a request's headers carry, if they carry a valid one. */
export function deadlineOfHeaders(headers: MsgHdrs | undefined): number | undefined {
  const value = headers?.get(DEADLINE_HEADER);
  return value && /^\d{1,9}$/.test(value) ? Number(value) : undefined;
}

/**
 * Each request a service answers is handled under the deadline its headers carry, if any: what the
 * handler commits, and every request it makes in turn, end with its caller's wait.
 */
@Injectable()
export class RequestDeadlines implements NestInterceptor {
  intercept(execution: ExecutionContext, next: CallHandler): Observable<unknown> {
    const ms = deadlineOfHeaders(execution.switchToRpc().getContext<NatsContext>().getHeaders() as MsgHdrs | undefined);
    if (ms === undefined) return next.handle();
    // The handler is bound to the async context handle() is called in (Nest's AsyncResource.bind), so it is called inside.
    return new Observable((subscriber) => withDeadline(ms, () => next.handle().subscribe(subscriber)));
  }
}
