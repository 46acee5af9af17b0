import { Controller, Module, type INestMicroservice } from '@nestjs/common';
import { NestFactory } from '@nestjs/core';
import { SpanKind, SpanStatusCode } from '@opentelemetry/api';
import { AppError, type AgentInstanceStatus } from '#libs/contracts';
import { activeTraceContext, inSpan } from '#libs/tracing';
import { connectServiceClient, recordSpans, TEST_NATS_URL, uniqueName, type RecordedSpans, type TestServiceClient } from '#libs/testing';
import { HandlesAgentCommand } from './handles.js';
import { TracedRequests } from './message-tracing.js';
import { natsListenerOptions } from './messaging.module.js';
import { RpcErrorFilter } from './rpc-error.filter.js';

const hostId = uniqueName('h');
/** The trace context each handled request saw as active inside its handler. */
const seen: (string | undefined)[] = [];

@Controller()
class AgentController {
  @HandlesAgentCommand(hostId, 'instance.start')
  async start({ instanceId }: { instanceId: string }): Promise<AgentInstanceStatus> {
    await new Promise((resolve) => setTimeout(resolve, 10)); // the context survives the handler's own awaits
    seen.push(activeTraceContext()?.traceparent);
    if (instanceId === 'missing') throw AppError.notFound(`instance ${instanceId}`);
    if (instanceId === 'crash') throw new TypeError('cannot read properties of undefined');
    return { instanceId, kind: 'CONTAINER', state: 'RUNNING', vcpus: 1, memoryMb: 512, diskGb: 1 };
  }
}

@Module({ controllers: [AgentController] })
class AgentModule {}

describe('a request traced across NATS', () => {
  let spans: RecordedSpans;
  let agent: INestMicroservice;
  let caller: TestServiceClient;

  beforeAll(async () => {
    spans = await recordSpans();
    agent = await NestFactory.createMicroservice(AgentModule, { ...natsListenerOptions(`agent-${hostId}`, { natsUrl: TEST_NATS_URL }), logger: false });
    agent.useGlobalFilters(new RpcErrorFilter());
    agent.useGlobalInterceptors(new TracedRequests());
    await agent.listen();
    caller = await connectServiceClient('compute');
  });
  afterAll(async () => {
    await caller?.close();
    await agent?.close();
    await spans?.stop();
  });

  const start = (instanceId: string) =>
    inSpan(() => ({ name: 'consume compute-provisioner InstanceAddressed' }), undefined, () => caller.client.callAgent(hostId, 'instance.start', { instanceId }));

  it("is one trace: the caller's work, its request, and the handler's span with the handler's work inside it", async () => {
    await start('i-1');
    const [handled, request, work] = await spans.finished();
    expect(handled.name).toBe('agent instance.start');
    expect(handled.kind).toBe(SpanKind.SERVER);
    expect(handled.attributes).toMatchObject({ 'messaging.system': 'nats', 'messaging.destination.name': `agent.${hostId}.instance.start`, 'awan.host.id': hostId });
    expect(request.kind).toBe(SpanKind.CLIENT);
    expect(new Set([handled, request, work].map((s) => s.spanContext().traceId)).size).toBe(1);
    expect(handled.parentSpanContext?.spanId).toBe(request.spanContext().spanId);
    expect(request.parentSpanContext?.spanId).toBe(work.spanContext().spanId);
    expect(seen.at(-1)).toBe(`00-${handled.spanContext().traceId}-${handled.spanContext().spanId}-01`);
  });

  it('answers a request that carries no trace context without a span: work no trace covers, or the sampler left out, is not traced on', async () => {
    const before = (await spans.finished()).length;
    await caller.client.callAgent(hostId, 'instance.start', { instanceId: 'i-2' });
    expect(seen.at(-1)).toBeUndefined();
    expect(await spans.finished()).toHaveLength(before);
  });

  it("marks a refusal by its code without failing the spans, and a handler's crash as the error it is", async () => {
    const before = (await spans.finished()).length;
    await expect(start('missing')).rejects.toMatchObject({ code: 'NOT_FOUND' });
    await expect(start('crash')).rejects.toMatchObject({ code: 'INTERNAL' });
    const [refusedHandler, refusedRequest, , crashedHandler, crashedRequest] = (await spans.finished()).slice(before);
    expect([refusedHandler.attributes['error.type'], refusedHandler.status.code]).toEqual(['NOT_FOUND', SpanStatusCode.UNSET]);
    expect([refusedRequest.attributes['error.type'], refusedRequest.status.code]).toEqual(['NOT_FOUND', SpanStatusCode.UNSET]);
    expect([crashedHandler.attributes['error.type'], crashedHandler.status]).toEqual(['TypeError', { code: SpanStatusCode.ERROR, message: 'cannot read properties of undefined' }]);
    expect([crashedRequest.attributes['error.type'], crashedRequest.status.code]).toEqual(['INTERNAL', SpanStatusCode.ERROR]);
  });
});
