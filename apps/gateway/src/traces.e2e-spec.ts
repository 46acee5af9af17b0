import {
  describeWithHardware, GraphqlClient, missingHardware, startOtlpReceiver, startTestAwan, uniqueName, waitFor,
  type ExportedSpan, type OtlpReceiver, type TestAwan,
} from '#libs/testing';

/**
 * One createInstance is one trace across Awan's processes: each exports its spans over OTLP/HTTP
 * JSON to this test's own collector, as it would to an OpenTelemetry Collector.
 */
function tracedAwan(label: string, localAgent: boolean) {
  const parts = {} as { awan: TestAwan; receiver: OtlpReceiver; customer: GraphqlClient };
  beforeAll(async () => {
    parts.receiver = await startOtlpReceiver();
    parts.awan = await startTestAwan(label, {
      OTEL_EXPORTER_OTLP_ENDPOINT: parts.receiver.endpoint, OTEL_EXPORTER_OTLP_PROTOCOL: 'http/json', OTEL_BSP_SCHEDULE_DELAY: '200',
    }, { localAgent });
    const admin = new GraphqlClient(parts.awan.url, parts.awan.adminKey);
    const made = await admin.data(`mutation { createAccount(input: { name: "Traced ${label}", kind: CUSTOMER }) { apiKey { secret } } }`);
    parts.customer = admin.as(made.createAccount.apiKey.secret);
  }, 240_000);
  afterAll(async () => {
    await parts.awan?.stop();
    await parts.receiver?.stop();
  }, 120_000);
  return parts;
}

/** Creates a container through the API and waits for it to run; its id. */
async function createRunning(customer: GraphqlClient): Promise<string> {
  const { createInstance } = await customer.data(`mutation { createInstance(input: { name: "${uniqueName('traced-')}", kind: CONTAINER,
    imageId: "dev-busybox-rootfs", planId: "ct-512m", regionId: "local", billingCycle: HOURLY }) { id } }`);
  await waitFor(async () => {
    const { instance } = await customer.data(`{ instance(id: "${createInstance.id}") { status } }`);
    if (instance.status === 'ERROR') throw new Error('the instance failed');
    return instance.status === 'RUNNING';
  }, 120_000, 'the instance to run');
  return createInstance.id;
}

const named = (trace: ExportedSpan[], service: string, name: string) => trace.find((span) => span.service === service && span.name === name);

/**
 * The spans of the trace `graphql createInstance` began, once it holds each of `expected` (a
 * service and a span's name) and every span's parent is among them (the trace is whole, not pieces).
 */
async function traceOfCreate(receiver: OtlpReceiver, expected: [service: string, name: string][]): Promise<ExportedSpan[]> {
  let trace: ExportedSpan[] = [];
  await waitFor(() => {
    const root = receiver.spans().find((span) => span.name === 'graphql createInstance');
    trace = receiver.spans().filter((span) => span.traceId === root?.traceId);
    const ids = new Set(trace.map((span) => span.spanId));
    return expected.every(([service, name]) => named(trace, service, name)) && trace.every((span) => !span.parentSpanId || ids.has(span.parentSpanId));
  }, 30_000, 'a whole trace of the create').catch((error: Error) => {
    throw new Error(`${error.message}; it had ${JSON.stringify(trace.map((s) => `${s.service}: ${s.name}`))}`);
  });
  return trace;
}

describe('traces of a create, on a simulated host', () => {
  const parts = tracedAwan('traces_sim', false);

  it('are one trace through the gateway, compute, network and billing, from the API operation down', async () => {
    const instanceId = await createRunning(parts.customer);
    const trace = await traceOfCreate(parts.receiver, [
      ['gateway', 'graphql createInstance'], ['gateway', 'compute.instance.create'], ['compute', 'compute.instance.create'],
      ['network', 'consume network-addressing InstanceRequested'], ['billing', 'consume billing-instances InstanceRequested'],
      ['compute', 'network.instance.address'], ['network', 'network.instance.address'], ['compute', 'agent instance.create'],
      ['billing', 'consume billing-instances InstanceStarted'],
    ]);

    const root = named(trace, 'gateway', 'graphql createInstance')!;
    expect(root.parentSpanId).toBeUndefined();
    expect(trace.filter((span) => !span.parentSpanId)).toEqual([root]);
    // The gateway's request, answered in compute under it.
    const request = named(trace, 'gateway', 'compute.instance.create')!;
    expect(request.parentSpanId).toBe(root.spanId);
    expect(named(trace, 'compute', 'compute.instance.create')?.parentSpanId).toBe(request.spanId);
    // The events compute decided, consumed by network (its record of the instance) and billing (the meter).
    expect(named(trace, 'network', 'consume network-addressing InstanceRequested')).toMatchObject({ attributes: { 'awan.stream.id': `instance-${instanceId}` } });
    // The provisioner asks network for the addresses, and network answers under that request.
    const addressing = named(trace, 'compute', 'network.instance.address')!;
    expect(named(trace, 'network', 'network.instance.address')?.parentSpanId).toBe(addressing.spanId);
    // The command to the host, from compute's provisioner: the simulated host makes no spans of its own.
    expect(named(trace, 'compute', 'agent instance.create')).toMatchObject({ attributes: { 'messaging.destination.name': `agent.${parts.awan.hostId}.instance.create` } });
  });
});

describeWithHardware('traces of a create, with this machine\'s host agent', missingHardware({ root: true, lxc: true }), () => {
  const parts = tracedAwan('traces_agent', true);

  it("are one trace through the gateway, compute, network, billing and the host agent's command", async () => {
    const instanceId = await createRunning(parts.customer);
    try {
      const trace = await traceOfCreate(parts.receiver, [
        ['gateway', 'graphql createInstance'], ['compute', 'compute.instance.create'], ['network', 'consume network-addressing InstanceRequested'],
        ['compute', 'agent instance.create'], ['host-agent', 'agent instance.create'], ['billing', 'consume billing-instances InstanceStarted'],
      ]);
      const command = named(trace, 'compute', 'agent instance.create')!;
      expect(named(trace, 'host-agent', 'agent instance.create')).toMatchObject({
        parentSpanId: command.spanId, attributes: { 'awan.host.id': parts.awan.hostId, 'messaging.operation.type': 'process' },
      });
      expect(named(trace, 'compute', 'compute.instance.create')?.parentSpanId).toBe(named(trace, 'gateway', 'compute.instance.create')?.spanId);
    } finally {
      await parts.customer.data(`mutation { deleteInstance(id: "${instanceId}") { id } }`);
      await waitFor(async () => (await parts.customer.data(`{ instance(id: "${instanceId}") { status } }`)).instance?.status === 'DELETED', 120_000, 'the instance to be deleted');
    }
  });
});
