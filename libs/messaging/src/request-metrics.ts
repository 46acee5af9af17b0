import type { CallHandler, ExecutionContext, NestInterceptor } from '@nestjs/common';
import { tap, type Observable } from 'rxjs';
import { AppError } from '#libs/contracts';
import { counter, histogram, LATENCY_BUCKETS, secondsSince } from '#libs/metrics';

/** A subject as a label: a host agent's (`agent.<hostId>.instance.create`) without its host, so a label's values stay as few as the contracts' subjects. */
export const subjectLabel = (subject: string): string => subject.replace(/^agent\.[^.]+\./, 'agent.*.');

const answered = histogram({
  name: 'awan_nats_request_duration_seconds',
  help: 'Requests this process answered over NATS: how long each took, by subject and result code (OK, or the error code its caller got).',
  labelNames: ['subject', 'code'],
  buckets: LATENCY_BUCKETS,
});

const asked = histogram({
  name: 'awan_nats_client_request_duration_seconds',
  help: 'Requests this process sent to other services over NATS: how long each took until its answer, by subject and result code.',
  labelNames: ['subject', 'code'],
  buckets: LATENCY_BUCKETS,
});

/** Times a NATS connection of the process reconnected after losing its server, by connection (events, requests, client). */
export const natsReconnects = counter({
  name: 'awan_nats_reconnects_total',
  help: 'Times a NATS connection of this process reconnected after losing its server.',
  labelNames: ['connection'],
});

/** The code a request's caller gets for what its handler threw, as RpcErrorFilter answers it. */
const resultCodeOf = (error: unknown, isTransient: (error: unknown) => boolean) =>
  error instanceof AppError ? error.code : isTransient(error) ? 'UNAVAILABLE' : 'INTERNAL';

/** A request sent (ServiceClient): its time until answered, and the code it ended with. */
export function recordClientRequest(subject: string, started: number, error?: unknown): void {
  asked.observe({ subject: subjectLabel(subject), code: error === undefined ? 'OK' : resultCodeOf(error, () => false) }, secondsSince(started));
}

/** Times each request a service's handlers answer over NATS (@Handles), by subject and result code. */
export class RequestMetricsInterceptor implements NestInterceptor {
  constructor(private readonly isTransient: (error: unknown) => boolean = () => false) {}

  intercept(context: ExecutionContext, next: CallHandler): Observable<unknown> {
    const started = performance.now();
    const subject = subjectLabel(String(context.switchToRpc().getContext()?.getSubject?.() ?? ''));
    return next.handle().pipe(
      tap({
        complete: () => answered.observe({ subject, code: 'OK' }, secondsSince(started)),
        error: (error: unknown) => answered.observe({ subject, code: resultCodeOf(error, this.isTransient) }, secondsSince(started)),
      }),
    );
  }
}
