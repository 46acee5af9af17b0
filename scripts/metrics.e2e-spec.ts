import { hostPermissions } from '#libs/nats-auth';
import { GraphqlClient, issueTestCredentials, SimulatedHost, startTestAwan, type TestAwan, uniqueName, waitFor } from '#libs/testing';

const HOST_DOWN_TIMEOUT_MS = 3000;
/** Prometheus's bearer token, as an operator sets it where the gateway's port is public. */
const METRICS_TOKEN = 'metrics-' + 'a1b2c3d4'.repeat(4);

/** One sample's value from Prometheus's text format (every label given must match), or undefined when there is none. */
function sample(text: string, name: string, labels: Record<string, string> = {}): number | undefined {
  for (const line of text.split('\n')) {
    const match = /^([a-zA-Z_:][a-zA-Z0-9_:]*)(?:\{(.*)\})? (\S+)$/.exec(line);
    if (!match || match[1] !== name) continue;
    const have = Object.fromEntries([...(match[2] ?? '').matchAll(/([a-zA-Z_]+)="((?:[^"\\]|\\.)*)"/g)].map((m) => [m[1], m[2]]));
    if (Object.entries(labels).every(([key, value]) => have[key] === value)) return Number(match[3]);
  }
  return undefined;
}

/** The metric families a text declares (its # TYPE lines): a labelled metric nothing has moved yet has no samples, but is declared. */
const declared = (text: string) => new Set([...text.matchAll(/^# TYPE (\S+) /gm)].map((m) => m[1]));

/**
 * Each service's /metrics on its health port, on the whole system started the README's way with a
 * simulated host: the metrics the README names are there, and they move as the system does.
 */
describe("the services' Prometheus metrics", () => {
  let awan: TestAwan;
  let admin: GraphqlClient;
  let ports: Record<'gateway' | 'compute' | 'network' | 'billing', number>;
  let leaving: SimulatedHost | undefined;

  const scrape = async (service: keyof typeof ports) => {
    const response = await fetch(`http://127.0.0.1:${ports[service]}/metrics`, { headers: { authorization: `Bearer ${METRICS_TOKEN}` } });
    expect(response.status).toBe(200);
    expect(response.headers.get('content-type')).toMatch(/^text\/plain; version=0\.0\.4/);
    return response.text();
  };

  beforeAll(async () => {
    awan = await startTestAwan('metrics', { HOST_DOWN_TIMEOUT_MS: String(HOST_DOWN_TIMEOUT_MS), METRICS_TOKEN }, { localAgent: false });
    admin = new GraphqlClient(awan.url, awan.adminKey);
    // README, Configuration: the gateway's port, and the other services' health ports on the next four.
    const base = Number(new URL(awan.url).port);
    ports = { gateway: base, compute: base + 1, network: base + 2, billing: base + 3 };
  }, 240_000);
  afterAll(async () => {
    await leaving?.stop();
    await awan?.stop();
  }, 120_000);

  it('answers /metrics only to the bearer of METRICS_TOKEN, on every service (the gateway\'s port is public)', async () => {
    for (const service of Object.keys(ports) as (keyof typeof ports)[]) {
      for (const headers of [{}, { authorization: `Bearer ${METRICS_TOKEN.replace(/.$/, 'x')}` }, { authorization: METRICS_TOKEN }]) {
        const response = await fetch(`http://127.0.0.1:${ports[service]}/metrics`, { headers });
        expect({ service, headers, status: response.status, challenge: response.headers.get('www-authenticate') }).toEqual({ service, headers, status: 401, challenge: 'Bearer' });
        expect(await response.text()).not.toContain('process_cpu_user_seconds_total');
      }
      await scrape(service);
    }
  });

  it('serves the named metrics on every service, each sample labelled with its service', async () => {
    const everywhere = [
      'process_cpu_user_seconds_total', 'nodejs_eventloop_lag_seconds', 'awan_nats_request_duration_seconds', 'awan_nats_client_request_duration_seconds',
      'awan_nats_reconnects_total', 'awan_metrics_source_up', 'awan_service_healthy', 'awan_health_check_up',
    ];
    const withEvents = [
      'awan_db_pool_connections', 'awan_db_pool_max_connections', 'awan_db_pool_waiting_requests', 'awan_relay_unpublished_events',
      'awan_relay_oldest_unpublished_age_seconds', 'awan_consumer_pending_messages', 'awan_consumer_ack_pending_messages',
      'awan_consumer_redelivered_messages', 'awan_consumer_dead_letters',
    ];
    const own: Record<keyof typeof ports, string[]> = {
      gateway: ['awan_graphql_operation_duration_seconds', 'awan_gateway_rate_limited_total'],
      compute: ['awan_instances', 'awan_hosts', 'awan_host_heartbeat_age_seconds', 'awan_host_capacity', 'awan_host_allocated', 'awan_instance_provisioning_seconds'],
      network: ['awan_ip_pool_size', 'awan_ip_pool_allocated'],
      billing: ['awan_invoices_finalized_total', 'awan_invoiced_amount_total'],
    };
    for (const service of Object.keys(ports) as (keyof typeof ports)[]) {
      const text = await scrape(service);
      const families = declared(text);
      for (const name of [...everywhere, ...withEvents, ...own[service]]) expect({ service, name, declared: families.has(name) }).toEqual({ service, name, declared: true });
      expect(sample(text, 'process_resident_memory_bytes', { service })).toBeGreaterThan(0);
      expect(sample(text, 'awan_service_healthy', { service })).toBe(1);
      expect(sample(text, 'awan_health_check_up', { service, check: 'postgres' })).toBe(1);
      // Read from the database and JetStream when scraped, each service's own.
      expect(sample(text, 'awan_db_pool_max_connections', { service })).toBe(10);
      expect(sample(text, 'awan_relay_unpublished_events', { service })).toBeGreaterThanOrEqual(0);
      expect(sample(text, 'awan_metrics_source_up', { source: `${service === 'gateway' ? 'identity' : service}-relay` })).toBe(1);
    }
    const compute = await scrape('compute');
    expect(sample(compute, 'awan_hosts', { status: 'UP' })).toBe(1);
    expect(sample(compute, 'awan_hosts', { status: 'DOWN' })).toBe(0);
    expect(sample(compute, 'awan_host_heartbeat_age_seconds', { host: awan.hostId })).toBeLessThan(HOST_DOWN_TIMEOUT_MS / 1000);
    expect(sample(compute, 'awan_host_capacity', { host: awan.hostId, resource: 'vcpus' })).toBeGreaterThan(0);
    expect(sample(compute, 'awan_consumer_dead_letters', { consumer: 'compute-provisioner' })).toBe(0);
    expect(sample(compute, 'awan_consumer_pending_messages', { consumer: 'compute-provisioner', source: 'compute' })).toBe(0);
    expect(sample(await scrape('network'), 'awan_ip_pool_size', { pool: 'local-ipv4', family: 'IPV4', region: 'local' })).toBe(125);
  });

  it('counts a created instance in the provisioning histogram and among the RUNNING ones', async () => {
    const before = await scrape('compute');
    const provisioned = sample(before, 'awan_instance_provisioning_seconds_count', { kind: 'CONTAINER' }) ?? 0;
    const running = sample(before, 'awan_instances', { status: 'RUNNING', kind: 'CONTAINER' }) ?? 0;
    const allocated = sample(await scrape('network'), 'awan_ip_pool_allocated', { pool: 'local-ipv4' })!;
    const made = await admin.data<{ createAccount: { apiKey: { secret: string } } }>('mutation { createAccount(input: { name: "Metrics Customer", kind: CUSTOMER }) { apiKey { secret } } }');
    const customer = admin.as(made.createAccount.apiKey.secret);
    const { createInstance } = await customer.data<{ createInstance: { id: string } }>(
      `mutation { createInstance(input: { name: "${uniqueName('metrics-')}", kind: CONTAINER, imageId: "dev-busybox-rootfs", planId: "ct-512m", regionId: "local", billingCycle: HOURLY }) { id } }`,
    );
    await waitFor(async () => (await customer.data<{ instance: { status: string } }>(`{ instance(id: "${createInstance.id}") { status } }`)).instance.status === 'RUNNING', 60_000, 'the instance to run');
    await waitFor(async () => sample(await scrape('compute'), 'awan_instances', { status: 'RUNNING', kind: 'CONTAINER' }) === running + 1, 10_000, 'one more RUNNING');
    const after = await scrape('compute');
    expect(sample(after, 'awan_instance_provisioning_seconds_count', { kind: 'CONTAINER' })).toBe(provisioned + 1);
    expect(sample(after, 'awan_instance_provisioning_seconds_sum', { kind: 'CONTAINER' })).toBeGreaterThan(0);
    expect(sample(after, 'awan_nats_request_duration_seconds_count', { subject: 'compute.instance.create', code: 'OK' })).toBeGreaterThanOrEqual(1);
    expect(sample(after, 'awan_nats_client_request_duration_seconds_count', { subject: 'agent.*.instance.create', code: 'OK' })).toBeGreaterThanOrEqual(1);
    expect(sample(await scrape('network'), 'awan_ip_pool_allocated', { pool: 'local-ipv4' })).toBe(allocated + 1);
    const gateway = await scrape('gateway');
    expect(sample(gateway, 'awan_graphql_operation_duration_seconds_count', { operation: 'createInstance', type: 'mutation', code: 'OK' })).toBe(1);
    expect(sample(gateway, 'awan_nats_client_request_duration_seconds_count', { subject: 'compute.instance.create', code: 'OK' })).toBe(1);
    // A refusal counts under its code.
    const refused = await customer.request('mutation { createInstance(input: { name: "Not a label!", kind: CONTAINER, imageId: "dev-busybox-rootfs", planId: "ct-512m", regionId: "local", billingCycle: HOURLY }) { id } }');
    expect(refused.errors?.[0].extensions?.code).toBe('BAD_USER_INPUT');
    expect(sample(await scrape('gateway'), 'awan_graphql_operation_duration_seconds_count', { operation: 'createInstance', type: 'mutation', code: 'BAD_USER_INPUT' })).toBe(1);
  }, 120_000);

  it("shows a host DOWN in compute's gauge once its agent has been gone for HOST_DOWN_TIMEOUT_MS", async () => {
    const hostId = uniqueName('metrics-leaving-');
    leaving = await SimulatedHost.start({ hostId, natsUrl: awan.natsUrl, credentials: await issueTestCredentials(awan.dataDir, `host-${hostId}`, hostPermissions(hostId)) });
    await waitFor(async () => sample(await scrape('compute'), 'awan_hosts', { status: 'UP' }) === 2, 30_000, 'the second host UP');
    await leaving.stop();
    const gone = performance.now();
    await waitFor(async () => sample(await scrape('compute'), 'awan_hosts', { status: 'DOWN' }) === 1, HOST_DOWN_TIMEOUT_MS + 15_000, 'the host DOWN');
    expect(performance.now() - gone).toBeGreaterThanOrEqual(HOST_DOWN_TIMEOUT_MS - 1000); // counted from its last heartbeat, up to 500 ms before it stopped
    const compute = await scrape('compute');
    expect(sample(compute, 'awan_hosts', { status: 'UP' })).toBe(1);
    expect(sample(compute, 'awan_host_heartbeat_age_seconds', { host: hostId })).toBeGreaterThanOrEqual(HOST_DOWN_TIMEOUT_MS / 1000);
  }, 90_000);
});
