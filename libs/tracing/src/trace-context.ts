import { context, propagation, ROOT_CONTEXT, trace, type Context } from '@opentelemetry/api';
import { tracingEnabled } from './tracing.js';

/** The W3C trace context (https://www.w3.org/TR/trace-context/) a message or an event carries. */
export interface TraceCarrier {
  traceparent?: string;
  tracestate?: string;
}

/**
 * The active span's trace context, to send on with a message or keep with an event; undefined
 * where no span is active (tracing off, or work no trace covers), so an untraced path writes nothing.
 */
export function activeTraceContext(): TraceCarrier | undefined {
  if (!tracingEnabled()) return undefined;
  const active = context.active();
  if (!trace.getSpan(active)?.isRecording()) return undefined;
  const carrier: TraceCarrier = {};
  propagation.inject(active, carrier);
  return carrier.traceparent ? carrier : undefined;
}

/** `fields` with the active trace context added, or `fields` itself where there is none. */
export function withTraceContext<T extends object>(fields: T): T & TraceCarrier {
  const carried = activeTraceContext();
  return carried ? { ...fields, ...carried } : fields;
}

/** The context a carried trace context continues (a message's headers, an event's metadata); undefined for none, or a malformed one. */
export function contextOfCarrier(carrier: TraceCarrier | undefined): Context | undefined {
  if (!carrier?.traceparent) return undefined;
  const carried = propagation.extract(ROOT_CONTEXT, { traceparent: carrier.traceparent, ...(carrier.tracestate ? { tracestate: carrier.tracestate } : {}) });
  return trace.getSpanContext(carried) ? carried : undefined;
}
