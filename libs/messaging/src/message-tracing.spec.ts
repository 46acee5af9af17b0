import { NatsRecord, type ClientProxy } from '@nestjs/microservices';
import type { MsgHdrs } from '@nats-io/transport-node';
import { SpanKind } from '@opentelemetry/api';
import { of, type Observable } from 'rxjs';
import { inSpan } from '#libs/tracing';
import { recordSpans } from '#libs/testing';
import { spanNameOfSubject, traceContextOfHeaders } from './message-tracing.js';
import { DEADLINE_HEADER } from './request-deadlines.js';
import { ServiceClient } from './service-client.js';

/** A ServiceClient whose transport keeps what each request sent, and answers at once. */
function recordingClient() {
  const sent: unknown[] = [];
  const send = (_subject: string, message: unknown): Observable<unknown> => (sent.push(message), of({ ok: true }));
  return { client: new ServiceClient({ send, status: of('connected'), on: () => undefined } as unknown as ClientProxy), sent };
}

describe('trace context in NATS request headers', () => {
  it('names a span for the subject: a host agent command by its command', () => {
    expect(spanNameOfSubject('compute.instance.create')).toBe('compute.instance.create');
    expect(spanNameOfSubject('agent.host-7.instance.create')).toBe('agent instance.create');
  });

  it('sends no trace context where nothing is traced, only the deadline', async () => {
    const { client, sent } = recordingClient();
    await client.callAgent('h1', 'health', {}, 2000);
    const message = sent[0] as NatsRecord;
    expect(message.data).toEqual({});
    expect(traceContextOfHeaders(message.headers as MsgHdrs)).toBeUndefined();
    expect((message.headers as MsgHdrs).get(DEADLINE_HEADER)).toBe('1000');
  });

  describe('in traced work', () => {
    let spans: Awaited<ReturnType<typeof recordSpans>>;
    beforeEach(async () => (spans = await recordSpans()));
    afterEach(() => spans.stop());

    it("sends a request as a child span, its traceparent in the message's headers, read back on the other side", async () => {
      const { client, sent } = recordingClient();
      await inSpan(() => ({ name: 'consume compute-provisioner InstanceAddressed', kind: SpanKind.CONSUMER }), undefined, () =>
        client.callAgent('h1', 'instance.start', { instanceId: 'i-1' }));
      const [request, work] = await spans.finished();
      expect([request.name, request.kind, request.attributes['awan.host.id']]).toEqual(['agent instance.start', SpanKind.CLIENT, 'h1']);
      expect(request.parentSpanContext?.spanId).toBe(work.spanContext().spanId);

      const message = sent[0] as NatsRecord;
      expect(message).toBeInstanceOf(NatsRecord);
      expect(message.data).toEqual({ instanceId: 'i-1' });
      const carried = traceContextOfHeaders(message.headers as MsgHdrs);
      expect(carried).toEqual({ traceparent: `00-${request.spanContext().traceId}-${request.spanContext().spanId}-01` });
    });

    it('reads no trace context from a message without one', () => {
      expect(traceContextOfHeaders(undefined)).toBeUndefined();
    });
  });
});
