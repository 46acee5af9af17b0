import { Injectable, type CallHandler, type ExecutionContext, type NestInterceptor } from '@nestjs/common';
import type { NatsContext } from '@nestjs/microservices';
import type { MsgHdrs } from '@nats-io/transport-node';
import { SpanKind, type Attributes } from '@opentelemetry/api';
import { Observable, type Subscription } from 'rxjs';
import { activeTraceContext, contextOfCarrier, inSpan, type TraceCarrier } from '#libs/tracing';

/** A span's name for a subject: a host agent's commands by their command (`agent instance.create`), every other subject as itself (`compute.instance.create`). */
export function spanNameOfSubject(subject: string): string {
  const agent = /^agent\.[^.]+\.(.+)$/.exec(subject);
  return agent ? `agent ${agent[1]}` : subject;
}

/** What a request's spans say of it, on both ends: the caller sends it, the service processes it. */
export function requestAttributes(subject: string, operation: 'send' | 'process'): Attributes {
  const host = /^agent\.([^.]+)\./.exec(subject)?.[1];
  return { 'messaging.system': 'nats', 'messaging.destination.name': subject, 'messaging.operation.type': operation, ...(host ? { 'awan.host.id': host } : {}) };
}

/** Adds the active trace context, if any, to a request's NATS headers. */
export function addTraceHeaders(h: MsgHdrs): void {
  for (const [key, value] of Object.entries(activeTraceContext() ?? {})) h.set(key, value);
}

/** The trace context a message's headers carry, if any. */
export function traceContextOfHeaders(h: MsgHdrs | undefined): TraceCarrier | undefined {
  const traceparent = h?.get('traceparent');
  if (!traceparent) return undefined;
  const tracestate = h!.get('tracestate');
  return tracestate ? { traceparent, tracestate } : { traceparent };
}

/**
 * Each request a service answers is a span named for its subject, continuing the trace its
 * headers carry (the caller's span), with the handler's work inside it. A request that carries
 * none is not traced: it comes from work no trace covers, or that the sampler left out where it
 * began (a trace begins at the gateway, or at an event the system's own work appended).
 * Installed only where the process traces.
 */
@Injectable()
export class TracedRequests implements NestInterceptor {
  intercept(execution: ExecutionContext, next: CallHandler): Observable<unknown> {
    const message = execution.switchToRpc().getContext<NatsContext>();
    const parent = contextOfCarrier(traceContextOfHeaders(message.getHeaders() as MsgHdrs | undefined));
    if (!parent) return next.handle();
    const subject = message.getSubject();
    const start = () => ({ name: spanNameOfSubject(subject), kind: SpanKind.SERVER, attributes: requestAttributes(subject, 'process') });
    // The handler runs, and its reply is awaited, inside the span: what it asks or appends carries the trace on.
    return new Observable((subscriber) => {
      let handling: Subscription | undefined;
      inSpan(start, parent, () => new Promise<void>((resolve, reject) => {
        handling = next.handle().subscribe({
          next: (value) => subscriber.next(value),
          error: (error: unknown) => (reject(error), subscriber.error(error)),
          complete: () => (resolve(), subscriber.complete()),
        });
      })).catch(() => undefined); // the subscriber has the error; the span recorded it
      return () => handling?.unsubscribe();
    });
  }
}
