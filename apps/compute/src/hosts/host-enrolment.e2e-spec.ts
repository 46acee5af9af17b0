import { connect, type NatsConnection } from '@nats-io/transport-node';
import { agentHeartbeatSubject, type HostHeartbeat } from '#libs/contracts';
import { accountSignerOf, createNatsAuthority, credentialsOptions, hostPermissions, issueUserCredentials } from '#libs/nats-auth';
import { GraphqlClient, SimulatedHost, startTestAwan, uniqueName, waitFor, type TestAwan } from '#libs/testing';

/**
 * npm start's NATS lets no one in without credentials, and each one only where it must go; hosts join
 * by enrolment and leave by retirement, their credentials then refused by NATS itself.
 */
describe('hosts join by enrolment; NATS authenticates everyone', () => {
  let awan: TestAwan;
  let admin: GraphqlClient;
  const opened: NatsConnection[] = [];
  const hosts: SimulatedHost[] = [];

  const enroll = (id: string) =>
    admin.data<{ enrollHost: { host: { id: string; status: string; vcpus: number; region: { id: string } }; credentials: string } }>(
      `mutation { enrollHost(input: { id: "${id}", regionId: "local" }) { host { id status vcpus region { id } } credentials } }`,
    );
  const hostStatus = async (id: string) => (await admin.data<{ hosts: { id: string; status: string }[] }>('{ hosts { id status } }')).hosts.find((h) => h.id === id)?.status;
  /** A connection as the agent holding `credentials` makes one, without reconnecting: what NATS does to it shows. */
  const connectAs = async (credentials: string, name: string) => {
    const nats = await connect({ servers: awan.natsUrl, name, reconnect: false, ...credentialsOptions(credentials) });
    opened.push(nats);
    return nats;
  };
  const heartbeat = (hostId: string): HostHeartbeat => ({
    hostId, name: hostId, regionId: 'local', kinds: ['CONTAINER'], capacity: { vcpus: 8, memoryMb: 8192, diskGb: 100 },
    allocated: { vcpus: 0, memoryMb: 0, diskGb: 0 }, instances: [], fenceTimeoutMs: 6000, sentAt: new Date().toISOString(),
  });

  beforeAll(async () => {
    awan = await startTestAwan('nats_auth', {}, { localAgent: false });
    admin = new GraphqlClient(awan.url, awan.adminKey);
  }, 180_000);

  afterAll(async () => {
    for (const host of hosts) await host.stop().catch(() => undefined);
    for (const nats of opened) await nats.close().catch(() => undefined);
    await awan?.stop();
  });

  it('lets nothing connect without credentials, nor with credentials another operator signed', async () => {
    await expect(connect({ servers: awan.natsUrl, reconnect: false })).rejects.toThrow(/Authorization Violation/);
    const stranger = await issueUserCredentials(accountSignerOf(await createNatsAuthority()), 'stranger', hostPermissions('stranger'));
    await expect(connect({ servers: awan.natsUrl, reconnect: false, ...credentialsOptions(stranger.credentials) })).rejects.toThrow(/Authorization Violation/);
  });

  it("enrolls a host for ADMIN only: DOWN with no capacity, and credentials shown once", async () => {
    const customerKey = (await admin.data<{ createAccount: { apiKey: { secret: string } } }>(
      `mutation { createAccount(input: { name: "${uniqueName('enrol-')}", kind: CUSTOMER }) { apiKey { secret } } }`,
    )).createAccount.apiKey.secret;
    const refused = await new GraphqlClient(awan.url, customerKey).request('mutation { enrollHost(input: { id: "not-yours", regionId: "local" }) { credentials } }');
    expect(refused.errors?.[0].extensions?.code).toBe('FORBIDDEN');
    const id = uniqueName('enr-');
    const { host, credentials } = (await enroll(id)).enrollHost;
    expect(host).toEqual({ id, status: 'DOWN', vcpus: 0, region: { id: 'local' } });
    expect(credentials).toContain('-----BEGIN NATS USER JWT-----');
    expect(await hostStatus(id)).toBe('DOWN');
    const bad = await admin.request('mutation { enrollHost(input: { id: "heartbeat", regionId: "local" }) { credentials } }');
    expect(bad.errors?.[0].extensions).toMatchObject({ code: 'BAD_USER_INPUT', field: 'input.id' });
    const noRegion = await admin.request(`mutation { enrollHost(input: { id: "${uniqueName('enr-')}", regionId: "atlantis" }) { credentials } }`);
    expect(noRegion.errors?.[0].extensions).toMatchObject({ code: 'BAD_USER_INPUT', field: 'input.regionId' });
  });

  it("lets an agent's credentials publish only its own heartbeat and answer only its own commands: NATS refuses the rest", async () => {
    const id = uniqueName('enr-');
    const other = uniqueName('enr-');
    const { credentials } = (await enroll(id)).enrollHost;
    const agent = await connectAs(credentials, 'agent-under-test');
    const refusals: string[] = [];
    void (async () => {
      for await (const status of agent.status()) if (status.type === 'error') refusals.push(String(status.error.message));
    })();
    await expect(agent.request('billing.invoice.csv', JSON.stringify({ data: { accountIds: 'platform', id: 'x' } }), { timeout: 2000 })).rejects.toThrow(/Permissions Violation/);
    await expect(agent.request('compute.instance.create', JSON.stringify({ data: {} }), { timeout: 2000 })).rejects.toThrow(/Permissions Violation/);
    agent.publish(agentHeartbeatSubject(other), JSON.stringify(heartbeat(other)));
    agent.publish('compute.instance.create', JSON.stringify({ data: {} }));
    expect(() => agent.subscribe(`agent.${other}.instance.create`)).not.toThrow();
    await agent.flush();
    const expected = [
      'Permissions Violation for Publish to "billing.invoice.csv"',
      `Permissions Violation for Publish to "${agentHeartbeatSubject(other)}"`,
      'Permissions Violation for Publish to "compute.instance.create"',
      `Permissions Violation for Subscription to "agent.${other}.instance.create"`,
    ];
    await waitFor(() => expected.every((refusal) => refusals.includes(refusal)), 5000, `the refusals, so far ${JSON.stringify(refusals)}`);
    // Its own heartbeat goes through, the other's never reached compute.
    agent.publish(agentHeartbeatSubject(id), JSON.stringify(heartbeat(id)));
    await waitFor(async () => (await hostStatus(id)) === 'UP', 10_000, `host ${id} to be UP`);
    expect(await hostStatus(other)).toBeUndefined();
    expect(agent.isClosed()).toBe(false);
  });

  it("brings an enrolled simulated host UP with its credentials; retiring it ends its connection and its credentials' use", async () => {
    const id = uniqueName('enr-');
    const { credentials } = (await enroll(id)).enrollHost;
    const host = await SimulatedHost.start({ hostId: id, natsUrl: awan.natsUrl, credentials, heartbeatIntervalMs: 300 });
    hosts.push(host);
    await waitFor(async () => (await hostStatus(id)) === 'UP', 15_000, `host ${id} to be UP`);
    const live = await connectAs(credentials, 'agent-before-retirement');
    const closed = live.closed();
    const retired = await admin.data<{ retireHost: { id: string; status: string } }>(`mutation { retireHost(id: "${id}") { id status } }`);
    expect(retired.retireHost).toEqual({ id, status: 'DOWN' });
    // NATS itself closes the live connection, and refuses a new one.
    expect(String(await closed)).toMatch(/User Authentication Revoked/);
    await expect(connect({ servers: awan.natsUrl, reconnect: false, ...credentialsOptions(credentials) })).rejects.toThrow(/Authorization Violation/);
    expect(await hostStatus(id)).toBeUndefined();
  });

  it('revokes the earlier credentials when a host is enrolled again', async () => {
    const id = uniqueName('enr-');
    const first = (await enroll(id)).enrollHost.credentials;
    const before = await connectAs(first, 'agent-first-enrolment');
    const closed = before.closed();
    const second = (await enroll(id)).enrollHost.credentials;
    expect(String(await closed)).toMatch(/User Authentication Revoked/);
    await expect(connect({ servers: awan.natsUrl, reconnect: false, ...credentialsOptions(first) })).rejects.toThrow(/Authorization Violation/);
    const after = await connectAs(second, 'agent-second-enrolment');
    after.publish(agentHeartbeatSubject(id), JSON.stringify(heartbeat(id)));
    await waitFor(async () => (await hostStatus(id)) === 'UP', 10_000, `host ${id} to be UP with its new credentials`);
  });

  it('revokes every earlier credential of hosts enrolled again at once: no push replaces another', async () => {
    const ids = Array.from({ length: 4 }, () => uniqueName('enr-'));
    const firsts = await Promise.all(ids.map(async (id) => (await enroll(id)).enrollHost.credentials));
    // Each connection's end, as a promise of its own (an async function would wait for it).
    const closed = (await Promise.all(firsts.map((credentials, i) => connectAs(credentials, `agent-${ids[i]}`)))).map((nats) => nats.closed());
    await Promise.all(ids.map((id) => enroll(id)));
    for (const ended of closed) expect(String(await ended)).toMatch(/User Authentication Revoked/);
    for (const credentials of firsts) {
      await expect(connect({ servers: awan.natsUrl, reconnect: false, ...credentialsOptions(credentials) })).rejects.toThrow(/Authorization Violation/);
    }
  });
});
