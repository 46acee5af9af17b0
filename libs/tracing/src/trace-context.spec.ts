import { context, SpanKind, SpanStatusCode, trace } from '@opentelemetry/api';
import { AppError } from '#libs/contracts';
import { AlwaysOffSampler } from '@opentelemetry/sdk-trace';
import { recordSpans, type RecordedSpans } from '#libs/testing';
import { activeTraceContext, contextOfCarrier, withTraceContext } from './trace-context.js';
import { inChildSpan, inSpan } from './spans.js';
import { tracingEnabled } from './tracing.js';

const TRACEPARENT = /^00-([0-9a-f]{32})-([0-9a-f]{16})-01$/;
const metadata = { correlationId: 'c1', causationId: null };

describe('without tracing', () => {
  it('carries nothing and runs work as it is', async () => {
    expect(tracingEnabled()).toBe(false);
    expect(activeTraceContext()).toBeUndefined();
    expect(withTraceContext(metadata)).toBe(metadata);
    const seen = await inSpan(() => ({ name: 'never made' }), undefined, async (span) => [span.isRecording(), activeTraceContext()]);
    expect(seen).toEqual([false, undefined]);
  });
});

describe('trace context carried with messages and events', () => {
  let spans: RecordedSpans;
  beforeEach(async () => (spans = await recordSpans()));
  afterEach(() => spans.stop());

  it('is the active span\'s, as W3C traceparent, and nothing outside a span', async () => {
    expect(activeTraceContext()).toBeUndefined();
    await inSpan(() => ({ name: 'graphql createInstance' }), undefined, async (span) => {
      const carried = activeTraceContext();
      expect(carried?.traceparent).toMatch(TRACEPARENT);
      const [, traceId, spanId] = TRACEPARENT.exec(carried!.traceparent!)!;
      expect({ traceId, spanId }).toEqual({ traceId: span.spanContext().traceId, spanId: span.spanContext().spanId });
      // An event's metadata keeps what it had, and gains the trace context.
      expect(withTraceContext(metadata)).toEqual({ ...metadata, traceparent: carried!.traceparent });
    });
  });

  it('continues on the other side: a span under what was carried is in the same trace, its child', async () => {
    const carried = await inSpan(() => ({ name: 'compute.instance.create' }), undefined, async () => activeTraceContext()!);
    await inSpan(() => ({ name: 'consume network-addressing InstanceRequested', kind: SpanKind.CONSUMER }), contextOfCarrier(carried), async () => undefined);
    const [producer, consumer] = (await spans.finished());
    expect(consumer.spanContext().traceId).toBe(producer.spanContext().traceId);
    expect(consumer.parentSpanContext?.spanId).toBe(producer.spanContext().spanId);
    expect(consumer.name).toBe('consume network-addressing InstanceRequested');
  });

  it('starts a new trace where nothing, or something malformed, was carried', async () => {
    expect(contextOfCarrier(undefined)).toBeUndefined();
    expect(contextOfCarrier({})).toBeUndefined();
    expect(contextOfCarrier({ traceparent: 'not a traceparent' })).toBeUndefined();
    await inSpan(() => ({ name: 'a' }), contextOfCarrier({ traceparent: 'not a traceparent' }), async () => undefined);
    expect((await spans.finished())[0].parentSpanContext).toBeUndefined();
  });

  it('makes a request a child span only inside traced work', async () => {
    expect(await inChildSpan(() => ({ name: 'compute.health' }), async (span) => span.isRecording())).toBe(false);
    await inSpan(() => ({ name: 'graphql services' }), undefined, () => inChildSpan(() => ({ name: 'compute.health' }), async () => undefined));
    expect((await spans.finished()).map((s) => s.name)).toEqual(['compute.health', 'graphql services']);
    expect(trace.getSpan(context.active())).toBeUndefined(); // nothing left active behind
  });

  it("fails a span for the service's faults, not for the caller's refusals", async () => {
    const fail = (name: string, error: unknown) => inSpan(() => ({ name }), undefined, async () => Promise.reject(error)).catch(() => undefined);
    await fail('refused', AppError.badInput('input.name', 'must be a label'));
    await fail('unavailable', AppError.unavailable('compute.instance.create did not answer within 5000 ms'));
    await fail('crashed', new TypeError('x is undefined'));
    const [refused, unavailable, crashed] = (await spans.finished());
    expect([refused.status.code, refused.attributes['error.type']]).toEqual([SpanStatusCode.UNSET, 'BAD_USER_INPUT']);
    expect([unavailable.status.code, unavailable.attributes['error.type']]).toEqual([SpanStatusCode.ERROR, 'UNAVAILABLE']);
    expect([crashed.status, crashed.attributes['error.type']]).toEqual([{ code: SpanStatusCode.ERROR, message: 'x is undefined' }, 'TypeError']);
    expect(crashed.events.map((e) => e.name)).toEqual(['exception']);
  });
});

describe('a trace the sampler leaves out', () => {
  let spans: RecordedSpans;
  beforeEach(async () => (spans = await recordSpans(new AlwaysOffSampler())));
  afterEach(() => spans.stop());

  it('runs its work outside any trace: nothing to carry on with a message or an event, no child spans, nothing recorded', async () => {
    const seen = await inSpan(() => ({ name: 'graphql instances' }), undefined, async (span) => [
      span.isRecording(),
      activeTraceContext(),
      withTraceContext(metadata),
      await inChildSpan(() => ({ name: 'compute.instance.list' }), async (child) => child.isRecording()),
    ]);
    expect(seen).toEqual([false, undefined, metadata, false]);
    expect(await spans.finished()).toEqual([]);
  });
});
