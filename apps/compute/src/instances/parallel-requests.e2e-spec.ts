import { spawn } from 'node:child_process';
import { connectServiceClient, GraphqlClient, type GraphqlResponse, startTestAwan, type TestAwan, uniqueName, waitFor } from '#libs/testing';

/** What every call must answer with, when it does not answer with an instance: a code of the contract. */
const CONTRACT_CODES = ['UNAUTHENTICATED', 'FORBIDDEN', 'NOT_FOUND', 'BAD_USER_INPUT', 'CONFLICT', 'INSUFFICIENT_CAPACITY', 'QUOTA_EXCEEDED', 'UNAVAILABLE'];
const TRANSITIONAL = ['PENDING', 'PROVISIONING', 'STARTING', 'STOPPING', 'REBOOTING', 'RESIZING', 'MIGRATING', 'DELETING'];
/** The gateway gives compute 15 s: every call answers before the client's own patience runs out. */
const CALL_DEADLINE_MS = 20_000;
/** The backups by hand an account may hold (BACKUPS_PER_ACCOUNT), few for the test. */
const BACKUPS = 3;
/** How long the simulated host takes over a snapshot, as a large rootfs's copy takes minutes. */
const SNAPSHOT_MS = 30_000;
const PLANS: Record<string, { vcpus: number; memoryMb: number; diskGb: number }> = {};

interface Instance {
  id: string;
  name: string;
  status: string;
  plan: { id: string };
}

interface Call {
  ms: number;
  response: GraphqlResponse<Record<string, Instance>>;
}

/**
 * The other tenant's client: lists its instances until its stdin closes, then prints every latency
 * (ms) as JSON; any error fails it. Its first call, which warms its HTTP client, is not counted: it
 * says "ready" after it.
 */
const OTHER_TENANT_LISTER = `
  const list = async () => {
    const started = performance.now();
    const response = await fetch(process.env.AWAN_URL, {
      method: 'POST',
      headers: { 'content-type': 'application/json', authorization: 'Bearer ' + process.env.AWAN_API_KEY },
      body: JSON.stringify({ query: '{ instances(first: 20) { totalCount edges { node { id status } } } }' }),
    });
    const body = await response.json();
    if (body.errors || !body.data) {
      console.error(JSON.stringify(body));
      process.exit(1);
    }
    return performance.now() - started;
  };
  let done = false;
  process.stdin.on('end', () => (done = true)).resume();
  await list();
  process.stdout.write('ready\\n');
  const latencies = [];
  while (!done) latencies.push(await list());
  process.stdout.write(JSON.stringify(latencies));
`;

const percentile = (values: number[], p: number) => [...values].sort((a, b) => a - b)[Math.min(values.length - 1, Math.floor((p / 100) * values.length))];
const described = (latencies: number[]) => `${latencies.length} queries, ${[50, 95, 99].map((p) => `p${p} ${percentile(latencies, p).toFixed(0)}`).join(', ')}, `
  + `max ${Math.max(...latencies).toFixed(0)} ms`;

/**
 * Another tenant is served while one tenant's calls are worked through: its requests do not wait
 * behind them (they would wait seconds, as the busy tenant's do). On these 2 cores, which also run
 * every service and the database, the platform is at full stretch with the busy tenant's work
 * meanwhile (200 creates made and provisioned in some 8 s), so a few take longer: most within 200 ms, none a second.
 */
function expectOtherTenantServed(latencies: number[]) {
  expect(latencies.length).toBeGreaterThan(10);
  expect(percentile(latencies, 95)).toBeLessThan(200);
  expect(Math.max(...latencies)).toBeLessThan(1000);
}

/**
 * One tenant's parallel calls, as Terraform makes them (its default parallelism is 10; these are
 * 200), against the whole control plane started the README's way on a simulated host: every call
 * answers in time with an instance or a contract code, another tenant is served meanwhile, and
 * nothing is left half-done. Needs no hypervisor, so it runs on every machine.
 */
describe('one tenant calling in parallel', () => {
  let awan: TestAwan;
  let admin: GraphqlClient;
  let busy: GraphqlClient;
  let other: GraphqlClient;

  beforeAll(async () => {
    awan = await startTestAwan('parallel', { QUOTA_INSTANCES: '2000', QUOTA_VCPUS: '100000', QUOTA_MEMORY_MB: '100000000', BACKUPS_PER_ACCOUNT: String(BACKUPS) }, {
      localAgent: false,
      simulatedHost: { capacity: { vcpus: 4000, memoryMb: 4_000_000, diskGb: 1_000_000 }, commandDelayMs: (command) => (command === 'snapshot.create' ? SNAPSHOT_MS : 20) },
    });
    admin = new GraphqlClient(awan.url, awan.adminKey);
    // More instances than the seeded /25 has addresses for: pools of their own (no bridge is made for a simulated host).
    // Network asked directly, with the gateway's credentials.
    const operator = await connectServiceClient('parallel-test', awan.natsUrl, awan.natsCredentials('gateway'));
    for (const id of ['local-ipv4', 'local-ipv6']) await operator.client.call('network.pool.retire', { id });
    await operator.client.call('network.pool.create', { input: { id: 'load-ipv4', regionId: 'local', prefix: '198.51.100.0/24', gateway: '198.51.100.1', bridge: 'awbrload' } });
    await operator.client.call('network.pool.create', { input: { id: 'load-ipv6', regionId: 'local', prefix: '2001:db8:51::/64', gateway: '2001:db8:51::1', bridge: 'awbrload' } });
    await operator.close();
    const customer = async (name: string) => {
      const made = await admin.data(`mutation { createAccount(input: { name: "${name}", kind: CUSTOMER }) { apiKey { secret } } }`);
      return admin.as(made.createAccount.apiKey.secret);
    };
    busy = await customer('Busy Customer');
    other = await customer('Other Customer');
    const { plans } = await admin.data<{ plans: ({ id: string } & (typeof PLANS)[string])[] }>('{ plans { id vcpus memoryMb diskGb } }');
    for (const plan of plans) PLANS[plan.id] = plan;
    // The other tenant has a few instances of its own to list.
    for (let i = 0; i < 3; i++) await create(other, uniqueName('mine-'));
  }, 240_000);

  afterAll(() => awan?.stop(), 120_000);

  const INSTANCE = 'id name status plan { id }';
  const create = (client: GraphqlClient, name: string, idempotencyKey?: string) =>
    timed(client, `mutation { createInstance(input: { name: "${name}", kind: CONTAINER, imageId: "dev-busybox-rootfs", planId: "ct-512m",
      regionId: "local", billingCycle: HOURLY ${idempotencyKey ? `, idempotencyKey: "${idempotencyKey}"` : ''} }) { ${INSTANCE} } }`);

  async function timed(client: GraphqlClient, query: string): Promise<Call> {
    const started = performance.now();
    const response = await client.request<Record<string, Instance>>(query);
    return { ms: performance.now() - started, response };
  }

  /**
   * The other tenant lists its instances the whole time `work` runs; their latencies. It calls from
   * a process of its own, as another tenant's client would: this one's event loop, busy with the
   * 200 calls it makes, was seen to stall for half a second, which the other tenant's client never would.
   */
  async function whileOtherTenantLists(work: () => Promise<unknown>): Promise<number[]> {
    const lister = spawn(process.execPath, ['--input-type=module', '-e', OTHER_TENANT_LISTER], {
      env: { ...process.env, AWAN_URL: awan.url, AWAN_API_KEY: other.key }, stdio: ['pipe', 'pipe', 'pipe'],
    });
    let output = '';
    let problems = '';
    lister.stderr.on('data', (chunk: Buffer) => (problems += chunk.toString()));
    const exited = new Promise<number | null>((resolve) => lister.on('exit', resolve));
    const ready = new Promise<void>((resolve) => lister.stdout.on('data', (chunk: Buffer) => {
      output += chunk.toString();
      if (output.startsWith('ready\n')) resolve();
    }));
    await Promise.race([ready, exited]); // a client that failed at once is reported below
    try {
      await work();
    } finally {
      lister.stdin.end(); // its cue to stop
    }
    expect({ exitCode: await exited, problems }).toEqual({ exitCode: 0, problems: '' });
    return JSON.parse(output.slice('ready\n'.length)) as number[];
  }

  function expectEveryCallAnswered(calls: Call[]) {
    for (const { ms, response } of calls) {
      expect(ms).toBeLessThan(CALL_DEADLINE_MS);
      const instance = Object.values(response.data ?? {})[0];
      if (!instance && !CONTRACT_CODES.includes(response.errors?.[0]?.extensions?.code ?? '')) {
        throw new Error(`${JSON.stringify(response.errors)}\n${awan.launcher.output().split('\n').filter((l) => /error|Error/.test(l)).slice(-30).join('\n')}`);
      }
    }
  }

  async function allInstances(client: GraphqlClient): Promise<Instance[]> {
    const all: Instance[] = [];
    for (let after: string | null = null; ;) {
      const page: { instances: { edges: { node: Instance }[]; pageInfo: { hasNextPage: boolean; endCursor: string } } } = await client.data(
        `query($after: String) { instances(first: 100, after: $after) { edges { node { ${INSTANCE} } } pageInfo { hasNextPage endCursor } } }`, { after },
      );
      all.push(...page.instances.edges.map((e) => e.node));
      if (!page.instances.pageInfo.hasNextPage) return all;
      after = page.instances.pageInfo.endCursor;
    }
  }

  /** Nothing transitional is left, and the host's allocation is exactly what the live instances' plans hold. */
  async function expectSettledAndAccounted() {
    await waitFor(async () => {
      const live = [...(await allInstances(busy)), ...(await allInstances(other))];
      return live.every((i) => !TRANSITIONAL.includes(i.status)) || undefined;
    }, 120_000, 'every instance to settle');
    const live = [...(await allInstances(busy)), ...(await allInstances(other))].filter((i) => i.status !== 'DELETED');
    expect(live.filter((i) => i.status === 'ERROR')).toEqual([]);
    const held = live.reduce(
      (sum, i) => ({ vcpus: sum.vcpus + PLANS[i.plan.id].vcpus, memoryMb: sum.memoryMb + PLANS[i.plan.id].memoryMb, diskGb: sum.diskGb + PLANS[i.plan.id].diskGb }),
      { vcpus: 0, memoryMb: 0, diskGb: 0 },
    );
    const { hosts } = await admin.data<{ hosts: { id: string; allocatedVcpus: number; allocatedMemoryMb: number; allocatedDiskGb: number }[] }>(
      '{ hosts { id allocatedVcpus allocatedMemoryMb allocatedDiskGb } }',
    );
    expect(hosts.find((h) => h.id === awan.hostId)).toMatchObject({ allocatedVcpus: held.vcpus, allocatedMemoryMb: held.memoryMb, allocatedDiskGb: held.diskGb });
  }

  async function expectComputeHealthy() {
    const { services } = await admin.data<{ services: { service: string; status: string }[] }>('{ services { service status } }');
    expect(services.find((s) => s.service === 'compute')).toMatchObject({ status: 'ok' });
  }

  it('answers 200 parallel creates in time, serves another tenant meanwhile, and leaves nothing half-made', async () => {
    let calls: Call[] = [];
    const latencies = await whileOtherTenantLists(async () => {
      calls = await Promise.all(Array.from({ length: 200 }, () => create(busy, uniqueName('web-'))));
    });
    expectEveryCallAnswered(calls);
    const created = calls.filter((c) => c.response.data?.createInstance).length;
    expect(created).toBeGreaterThan(150); // most within their deadline; the rest answered UNAVAILABLE, safe to retry
    console.log(`200 parallel creates: ${created} created, p50 ${percentile(calls.map((c) => c.ms), 50).toFixed(0)} ms, max ${Math.max(...calls.map((c) => c.ms)).toFixed(0)} ms; `
      + `the other tenant's instances(first: 20) meanwhile: ${described(latencies)}`);
    expectOtherTenantServed(latencies);
    await expectSettledAndAccounted();
    await expectComputeHealthy();
  }, 300_000);

  it('answers 200 parallel creates with one idempotency key with one instance', async () => {
    const name = uniqueName('once-');
    const key = uniqueName('key-');
    const calls = await Promise.all(Array.from({ length: 200 }, () => create(busy, name, key)));
    expectEveryCallAnswered(calls);
    const ids = new Set(calls.map((c) => c.response.data?.createInstance?.id).filter(Boolean));
    expect(ids.size).toBe(1);
    expect((await allInstances(busy)).filter((i) => i.name === name)).toHaveLength(1);
    // The same key with other parameters is refused, as Stripe does.
    const changed = await create(busy, uniqueName('other-'), key);
    expect(changed.response.errors?.[0]).toMatchObject({ extensions: { code: 'CONFLICT' }, message: expect.stringContaining(`idempotency key ${key}`) });
    await expectSettledAndAccounted();
  }, 300_000);

  it('answers 200 mixed lifecycle calls on one instance, and the instance ends where its last operation left it', async () => {
    const made = await create(busy, uniqueName('busy-'));
    const id = made.response.data!.createInstance.id;
    await waitFor(async () => (await busy.data(`{ instance(id: "${id}") { status } }`)).instance.status === 'RUNNING', 60_000, 'the instance to run');
    const operations = [
      `stopInstance(id: "${id}")`, `startInstance(id: "${id}")`, `rebootInstance(id: "${id}")`,
      `resizeInstance(id: "${id}", planId: "ct-1g")`, `resizeInstance(id: "${id}", planId: "ct-512m")`, `stopInstance(id: "${id}", force: true)`,
    ];
    let calls: Call[] = [];
    const latencies = await whileOtherTenantLists(async () => {
      calls = await Promise.all(Array.from({ length: 200 }, (_, i) => timed(busy, `mutation { ${operations[i % operations.length]} { ${INSTANCE} } }`)));
    });
    expectEveryCallAnswered(calls);
    const codes = calls.map((c) => c.response.errors?.[0]?.extensions?.code ?? 'OK');
    expect(codes.filter((c) => c === 'OK').length).toBeGreaterThan(0);
    console.log(`200 mixed lifecycle calls: ${JSON.stringify(Object.fromEntries([...new Set(codes)].map((c) => [c, codes.filter((x) => x === c).length])))}; `
      + `the other tenant's instances(first: 20) meanwhile: ${described(latencies)}`);
    expectOtherTenantServed(latencies);
    await expectSettledAndAccounted();
    const { instance } = await busy.data(`{ instance(id: "${id}") { status } }`);
    expect(['RUNNING', 'STOPPED']).toContain(instance.status);
    await expectComputeHealthy();
  }, 300_000);
  it("makes another tenant's instance while one tenant's snapshots are still being copied", async () => {
    const statusOf = async (client: GraphqlClient, id: string) => (await client.data(`{ instance(id: "${id}") { status } }`)).instance.status as string;
    const ids = await Promise.all(Array.from({ length: 5 }, async () => (await create(busy, uniqueName('copied-'))).response.data!.createInstance.id));
    await waitFor(async () => (await Promise.all(ids.map((id) => statusOf(busy, id)))).every((s) => s === 'RUNNING'), 60_000, 'the instances to run');
    await Promise.all(ids.map((id) => busy.data(`mutation { stopInstance(id: "${id}") { id } }`)));
    await waitFor(async () => (await Promise.all(ids.map((id) => statusOf(busy, id)))).every((s) => s === 'STOPPED'), 60_000, 'the instances to stop');
    // More copies at once than the provisioner's turns for quick operations (4): each held its turn until the host answered.
    await Promise.all(ids.map((id) => busy.data(`mutation { createSnapshot(instanceId: "${id}", name: "nightly") { id } }`)));
    const meanwhile = (await create(other, uniqueName('meanwhile-'))).response.data!.createInstance.id;
    await waitFor(async () => (await statusOf(other, meanwhile)) === 'RUNNING', SNAPSHOT_MS, "the other tenant's instance to run");
    const copies = await Promise.all(ids.map(async (id) => (await busy.data(`{ instance(id: "${id}") { snapshots { status } } }`)).instance.snapshots));
    expect(copies).toEqual(ids.map(() => [{ status: 'CREATING' }]));
  }, 180_000);
  it('takes no more backups by hand than an account may hold, however many are asked at once', async () => {
    const statusOf = async (id: string) => (await other.data(`{ instance(id: "${id}") { status } }`)).instance.status as string;
    const ids = await Promise.all(Array.from({ length: 8 }, async () => (await create(other, uniqueName('kept-'))).response.data!.createInstance.id));
    await waitFor(async () => (await Promise.all(ids.map(statusOf))).every((s) => s === 'RUNNING'), 60_000, 'the instances to run');
    const asked = await Promise.all(ids.map((id) => other.request<{ createBackup: { id: string } }>(`mutation { createBackup(instanceId: "${id}") { id } }`)));
    const taken = asked.flatMap((r) => (r.data?.createBackup ? [r.data.createBackup.id] : []));
    expect(taken).toHaveLength(BACKUPS);
    expect(asked.filter((r) => r.errors).map((r) => r.errors![0])).toEqual(Array.from({ length: ids.length - BACKUPS }, () => expect.objectContaining({
      extensions: expect.objectContaining({ code: 'QUOTA_EXCEEDED' }), message: expect.stringContaining(`may hold ${BACKUPS} backups taken by hand`),
    })));
    // One deleted makes room for one more.
    const statusOfBackup = async (id: string) => (await other.data(`{ backups(first: 50) { edges { node { id status } } } }`)).backups.edges.find((e: { node: { id: string } }) => e.node.id === id)?.node.status;
    await waitFor(async () => (await statusOfBackup(taken[0])) === 'AVAILABLE', 30_000, 'the backup to be taken');
    await other.data(`mutation { deleteBackup(id: "${taken[0]}") { id } }`);
    const idle = ids.find((id) => !asked[ids.indexOf(id)].data)!;
    await waitFor(async () => (await other.request(`mutation { createBackup(instanceId: "${idle}") { id } }`)).data?.createBackup, 30_000, 'room for a backup once one is deleted');
  }, 180_000);
});
