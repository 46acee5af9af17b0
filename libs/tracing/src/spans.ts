import { context, INVALID_SPAN_CONTEXT, ROOT_CONTEXT, SpanStatusCode, trace, type Context, type Span, type SpanOptions } from '@opentelemetry/api';
import { ATTR_ERROR_TYPE } from '@opentelemetry/semantic-conventions';
import { ERROR_CODES } from '#libs/contracts';
import { awanTracer, tracingEnabled } from './tracing.js';

/** What work is handed when nothing is traced: a span whose methods do nothing. */
const UNTRACED = trace.wrapSpanContext(INVALID_SPAN_CONTEXT);

/** A refusal the caller caused and can act on (BAD_USER_INPUT, NOT_FOUND…): the service did its job, so the span is no error. */
const CALLERS_CODES = new Set<string>(ERROR_CODES.filter((code) => code !== 'UNAVAILABLE'));

/**
 * Marks `span` as failed: `type` as its error.type and, for a fault of the service's own (not a
 * refusal of the caller's), an error status with `error`'s message and the exception.
 */
export function markFailed(span: Span, type: string, fault: boolean, error?: unknown): void {
  span.setAttribute(ATTR_ERROR_TYPE, type);
  if (!fault) return;
  const message = (error as { message?: unknown } | null | undefined)?.message;
  span.setStatus({ code: SpanStatusCode.ERROR, message: typeof message === 'string' ? message : type });
  if (error instanceof Error) span.recordException(error);
}

/** markFailed for what work threw: an AppError's code (or a WireError's, as one arrives from another service), else the error's name. */
function recordFailure(span: Span, error: unknown): void {
  const code = (error as { code?: unknown } | null)?.code;
  const type = typeof code === 'string' ? code : error instanceof Error ? error.name : 'INTERNAL';
  markFailed(span, type, !CALLERS_CODES.has(type), error);
}

async function run<T>(span: Span, active: Context, work: (span: Span) => Promise<T>): Promise<T> {
  try {
    return await context.with(active, () => work(span));
  } catch (error) {
    recordFailure(span, error);
    throw error;
  } finally {
    span.end();
  }
}

/** A span to start: its name and options, asked for only where tracing is on, so an untraced path builds none. */
export type SpanStart = () => SpanOptions & { name: string };

/**
 * Runs `work` in a span of its own under `parent` (what a message or an event carried; none starts
 * a trace), ended when work settles and failed as recordFailure says when it throws. Without
 * tracing, only `work` runs; so it does where the sampler leaves the span out: it is made active
 * nowhere, so nothing the work asks or appends carries trace context, and no service downstream
 * traces any of it (sending and reading a decision not to record cost every request more than
 * recording the sampled ones).
 */
export function inSpan<T>(start: SpanStart, parent: Context | undefined, work: (span: Span) => Promise<T>): Promise<T> {
  if (!tracingEnabled()) return work(UNTRACED);
  const { name, ...options } = start();
  const span = awanTracer().startSpan(name, options, parent ?? ROOT_CONTEXT);
  if (!span.isRecording()) return work(span);
  return run(span, trace.setSpan(parent ?? ROOT_CONTEXT, span), work);
}

/**
 * Runs `work` in a child span of the active one, as inSpan does; where no span is active (a request
 * made outside any traced work, in work the sampler left out, or no tracing), only `work` runs: a
 * trace starts where work enters the system, not at every request a timer makes.
 */
export function inChildSpan<T>(start: SpanStart, work: (span: Span) => Promise<T>): Promise<T> {
  if (!tracingEnabled()) return work(UNTRACED);
  const active = context.active();
  if (!trace.getSpan(active)?.isRecording()) return work(UNTRACED);
  const { name, ...options } = start();
  const span = awanTracer().startSpan(name, options, active);
  return run(span, trace.setSpan(active, span), work);
}
