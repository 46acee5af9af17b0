import { jetstreamManager } from '@nats-io/jetstream';
import type { CreateInstanceInput, InstanceListRequest, InstanceRequest, InstanceView, MaybeCountedPage } from '#libs/contracts';
import { connectTestNats, consumerAcknowledged, SimulatedHost, TEST_NATS_URL, uniqueName, waitFor } from '#libs/testing';
import { dunningEvent, publishBillingEvent, suspensionsHandled } from '../../test/billing-events.js';
import { PLATFORM, startComputeSystem, type ComputeSystem } from '../../test/compute-system.js';

const container = (name: string): CreateInstanceInput => ({
  name, kind: 'CONTAINER', imageId: 'dev-busybox-rootfs', planId: 'ct-512m', regionId: 'local', billingCycle: 'HOURLY',
});

/**
 * Compute's and network's side of instances (input, quotas, idempotency, tenancy, paging, floating
 * addresses, billing's suspensions) on a simulated host: it needs no hypervisor, so it runs on every
 * machine. What the host does with an instance is tested for real in instances.e2e-spec.ts.
 */
describe('instances through compute and network, on a simulated host', () => {
  let system: ComputeSystem;
  const accountId = uniqueName('acct-');
  const request: ComputeSystem['instance'] = (operation, payload) => system.instance(operation, payload);
  const create = (input: CreateInstanceInput, account = accountId) => request('create', { accountId: account, input });

  beforeAll(async () => {
    system = await startComputeSystem({ INSTANCE_TIMEOUT_MS: '120000' }, { host: 'simulated' });
  }, 120_000);
  afterAll(() => system?.close(), 120_000);

  it('moves a floating IP between an account\'s instances, never to another account\'s', async () => {
    const other = await create(container(uniqueName('other-')), uniqueName('acct-'));
    const mine = await create(container(uniqueName('mine-')));
    await system.waitForStatus(mine.id, ['RUNNING']);
    // As the account that owns `mine`, not `other`.
    const scope = { accountIds: [accountId] };
    const allocate = (instanceId: string) => system.client.call('network.ip.allocate', { ...scope, accountId, input: { regionId: 'local', family: 'IPV4', instanceId } });
    const floating = await allocate(mine.id);
    expect(floating).toMatchObject({ floating: true, instanceId: mine.id });
    await expect(system.client.call('network.ip.assign', { ...scope, id: floating.id, instanceId: other.id })).rejects.toMatchObject({ code: 'NOT_FOUND' });
    await expect(allocate(other.id)).rejects.toMatchObject({ code: 'NOT_FOUND' });
    expect(await system.client.call('network.ip.unassign', { ...scope, id: floating.id })).toMatchObject({ instanceId: null });
    await request('delete', { id: mine.id });
    await request('delete', { id: other.id });
    expect(await system.client.call('network.ip.release', { ...scope, id: floating.id })).toMatchObject({ releasedAt: expect.any(String) });
    for (const id of [mine.id, other.id]) await system.waitForStatus(id, ['DELETED']);
  });

  it('stops an account\'s instances, never deletes them, while billing has it suspended, and lets its customer start them again once reinstated', async () => {
    const account = uniqueName('dunning-');
    const suspendedFor = { code: 'CONFLICT', message: `account ${account} is suspended for non-payment` };
    const billing = await connectTestNats();
    try {
      const running = await create(container(uniqueName('paid-')), account);
      await system.waitForStatus(running.id, ['RUNNING']);
      const late = await create(container(uniqueName('late-')), account); // most likely still PROVISIONING when suspended

      await publishBillingEvent(billing.nats, dunningEvent(account, 'AccountSuspended', 1));
      for (const id of [running.id, late.id]) await system.waitForStatus(id, ['STOPPED']);
      expect(system.simulatedHost!.list().find((i) => i.instanceId === running.id)).toMatchObject({ state: 'STOPPED' }); // kept on its host
      await expect(request('start', { id: running.id })).rejects.toMatchObject(suspendedFor);
      await expect(create(container(uniqueName('more-')), account)).rejects.toMatchObject(suspendedFor);
      await expect(request('delete', { id: late.id })).resolves.toMatchObject({ status: 'DELETING' });
      await system.waitForStatus(late.id, ['DELETED']);

      const { seq } = await publishBillingEvent(billing.nats, dunningEvent(account, 'AccountReinstated', 2));
      await suspensionsHandled(billing.nats, seq);
      expect((await system.get(running.id)).status).toBe('STOPPED'); // reinstatement starts nothing
      await request('start', { id: running.id });
      await system.waitForStatus(running.id, ['RUNNING']);
      expect(system.simulatedHost!.list().find((i) => i.instanceId === running.id)).toMatchObject({ state: 'RUNNING' });

      const history = await request('history', { id: running.id });
      expect(history.edges.map((e) => e.node.type)).toEqual([
        'InstanceRequested', 'InstanceScheduled', 'InstanceAddressed', 'InstanceStarted',
        'InstanceStopRequested', 'InstanceStopped', 'InstanceStartRequested', 'InstanceStarted',
      ]);
      expect(JSON.parse(history.edges[4].node.data)).toEqual({ force: false });
      await request('delete', { id: running.id });
      await system.waitForStatus(running.id, ['DELETED']);
    } finally {
      await billing.close();
    }
  }, 180_000);

  it('refuses bad input with the field named, before anything is made', async () => {
    const name = uniqueName('bad-');
    await expect(create({ ...container('../etc') })).rejects.toMatchObject({ code: 'BAD_USER_INPUT', field: 'input.name' });
    await expect(create({ ...container('$(reboot)') })).rejects.toMatchObject({ code: 'BAD_USER_INPUT', field: 'input.name' });
    await expect(create({ ...container(name), planId: 'vm-512m' })).rejects.toMatchObject({ code: 'BAD_USER_INPUT', field: 'input.planId' });
    await expect(create({ ...container(name), imageId: '../../etc/passwd' })).rejects.toMatchObject({ code: 'BAD_USER_INPUT', field: 'input.imageId' });
    await expect(create({ ...container(name), regionId: 'mars' })).rejects.toMatchObject({ code: 'BAD_USER_INPUT', field: 'input.regionId' });
    await expect(create({ ...container(name), sshKeys: ['ssh-ed25519 AAAA; rm -rf /'] })).rejects.toMatchObject({ code: 'BAD_USER_INPUT', field: 'input.sshKeys[0]' });
    await expect(request('get', { id: '../../etc' })).resolves.toBeNull();
    const page = await request('list', { accountId });
    expect(page.edges.map((e) => e.node.name)).not.toContain(name);
  });

  it('keeps to quotas, idempotency keys, tenancy and unique names', async () => {
    const account = uniqueName('quota-');
    const limits = { instances: 1, vcpus: 4, memoryMb: 4096 };
    await system.client.call('compute.quota.set', { ...PLATFORM, accountId: account, limits });
    const input = { ...container(uniqueName('once-')), idempotencyKey: 'order-1' };
    const first = await create(input, account);
    expect(await create(input, account)).toMatchObject({ id: first.id }); // the same key: the same instance, nothing new
    await expect(create(container(uniqueName('two-')), account)).rejects.toMatchObject({ code: 'QUOTA_EXCEEDED' });
    expect(await system.client.call('compute.quota.get', { accountIds: [account], accountId: account })).toEqual({
      accountId: account, limits, used: { instances: 1, vcpus: first.vcpus, memoryMb: first.memoryMb },
    });
    // Another tenant holds the name: the caller learns it is taken, not whose it is.
    await expect(create(container(first.name))).rejects.toMatchObject({
      code: 'BAD_USER_INPUT', field: 'input.name', message: `input.name: the name ${first.name} is not available in region local: choose another`,
    });

    // Another tenant's instance and quota do not exist for the caller, nothing is made or set for its account, and a request that does not say whose it is is refused.
    await expect(request('get', { id: first.id, accountIds: [accountId] })).resolves.toBeNull();
    await expect(request('stop', { id: first.id, accountIds: [accountId] })).rejects.toMatchObject({ code: 'NOT_FOUND' });
    await expect(system.client.call('compute.quota.get', { accountIds: [accountId], accountId: account })).rejects.toMatchObject({ code: 'NOT_FOUND' });
    await expect(request('create', { accountIds: [accountId], accountId: account, input: container(uniqueName('theirs-')) })).rejects.toMatchObject({ code: 'FORBIDDEN' });
    await expect(system.client.call('compute.quota.set', { accountIds: [accountId], accountId: account, limits })).rejects.toMatchObject({ code: 'FORBIDDEN' });
    await expect(system.client.call('compute.instance.get', { id: first.id } as InstanceRequest)).rejects.toMatchObject({ code: 'FORBIDDEN' });
    const mine = await request('list', { accountIds: [account], first: 1 });
    expect(mine).toMatchObject({ totalCount: 1, edges: [{ node: { id: first.id } }] });

    await system.waitForStatus(first.id, ['RUNNING']);
    await expect(request('reboot', { id: first.id, accountIds: [account] })).resolves.toMatchObject({ status: 'REBOOTING' });
    await system.waitForStatus(first.id, ['RUNNING']);
    await request('delete', { id: first.id });
    await system.waitForStatus(first.id, ['DELETED']);
    await expect(request('start', { id: first.id })).rejects.toMatchObject({ code: 'CONFLICT' });
    await expect(create(container(uniqueName('after-')), account)).resolves.toMatchObject({ status: 'PROVISIONING' });
  });

  it('lists with a cursor, page by page', async () => {
    const account = uniqueName('pages-');
    const made = [];
    for (let i = 0; i < 3; i++) made.push(await create(container(uniqueName(`page${i}-`)), account));
    const seen: string[] = [];
    let after: string | null = null;
    do {
      const page: MaybeCountedPage<InstanceView> = await request('list', { accountId: account, first: 2, ...(after ? { after } : {}) });
      expect(page.totalCount).toBe(3);
      seen.push(...page.edges.map((e) => e.node.id));
      after = page.pageInfo.hasNextPage ? page.pageInfo.endCursor : null;
    } while (after);
    expect(seen).toEqual(made.map((m) => m.id));
    // Not counted where the caller said it does not show the total: the same page, without totalCount.
    const uncounted: MaybeCountedPage<InstanceView> = await request('list', { accountId: account, first: 2, count: false });
    expect(uncounted.totalCount).toBeUndefined();
    expect(uncounted.edges.map((e) => e.node.id)).toEqual(made.slice(0, 2).map((m) => m.id));
    await expect(request('list', { after: 'bogus' })).rejects.toMatchObject({ code: 'BAD_USER_INPUT', field: 'after' });
    for (const m of made) await request('delete', { id: m.id });
    for (const m of made) await system.waitForStatus(m.id, ['DELETED']);
  });

  it('asks the host to make each instance once, though the provisioner is delivered both the create\'s InstanceScheduled and its InstanceAddressed', async () => {
    const host = system.simulatedHost!;
    const asked = host.answered.get('instance.create') ?? 0;
    const made = await Promise.all([1, 2, 3].map(() => create(container(uniqueName('once-')))));
    for (const { id } of made) await system.waitForStatus(id, ['RUNNING']);
    // Every event so far handled by the provisioner's consumer: a second go at a create would have asked the host by then.
    const nats = await connectTestNats();
    try {
      await consumerAcknowledged(nats.nats, 'compute', 'compute-provisioner', undefined, 30_000);
    } finally {
      await nats.close();
    }
    expect((host.answered.get('instance.create') ?? 0) - asked).toBe(3);
    for (const { id } of made) await request('delete', { id });
    for (const { id } of made) await system.waitForStatus(id, ['DELETED']);
  });

  it('answers a stop with STOPPING and a start with STARTING, and lists leave DELETED out unless asked', async () => {
    const account = uniqueName('states-');
    const made = await create(container(uniqueName('st-')), account);
    await system.waitForStatus(made.id, ['RUNNING']);
    const stopping = await request('stop', { id: made.id });
    expect(['STOPPING', 'STOPPED']).toContain(stopping.status); // never RUNNING once asked to stop
    await system.waitForStatus(made.id, ['STOPPED']);
    expect(['STARTING', 'RUNNING']).toContain((await request('start', { id: made.id })).status);
    await system.waitForStatus(made.id, ['RUNNING']);
    const history = await request('history', { id: made.id });
    expect(history.edges.map((e) => e.node.type).slice(-4)).toEqual(['InstanceStopRequested', 'InstanceStopped', 'InstanceStartRequested', 'InstanceStarted']);

    const gone = await create(container(uniqueName('gone-')), account);
    await request('delete', { id: gone.id });
    await system.waitForStatus(gone.id, ['DELETED']);
    const ids = async (filter: Omit<InstanceListRequest, 'accountIds'>) => (await request('list', { accountId: account, ...filter })).edges.map((e) => e.node.id);
    expect(await ids({})).toEqual([made.id]);
    expect(await ids({ includeDeleted: true })).toEqual([made.id, gone.id]);
    expect(await ids({ status: 'DELETED' })).toEqual([gone.id]);
    await request('delete', { id: made.id });
    await system.waitForStatus(made.id, ['DELETED']);
  });

  it('goes on making and deleting instances after its event streams are lost, each made again and given every event again', async () => {
    const before = await create(container(uniqueName('before-')));
    await system.waitForStatus(before.id, ['RUNNING']);
    const nats = await connectTestNats();
    try {
      const jsm = await jetstreamManager(nats.nats);
      const published = async () => (await jsm.streams.info('COMPUTE')).state.messages;
      const lost = await published();
      // As a NATS that lost its store would leave them, or `nats stream rm`: their consumers go with them.
      for (const stream of ['COMPUTE', 'NETWORK']) await jsm.streams.delete(stream);

      const after = await create(container(uniqueName('after-')));
      await system.waitForStatus(after.id, ['RUNNING'], 60_000);
      expect(system.simulatedHost!.list().find((i) => i.instanceId === after.id)).toMatchObject({ state: 'RUNNING' });
      for (const { id } of [before, after]) await request('delete', { id });
      for (const { id } of [before, after]) await system.waitForStatus(id, ['DELETED'], 60_000);
      // Compute's stream holds what it lost again, and what came after.
      expect(await published()).toBeGreaterThan(lost);
    } finally {
      await nats.close();
    }
  }, 120_000);

  // Last: its host is the region's emptiest while it is UP, where later creates would be placed and then stranded.
  it('deletes an instance whose host is DOWN and fenced, without it, and what the host held once it is back', async () => {
    const hostStatus = async (hostId: string) => (await system.client.call('compute.host.list', {})).find((h) => h.id === hostId)?.status;
    const hostId = uniqueName('gone-');
    const startHost = () => SimulatedHost.start({ hostId, natsUrl: TEST_NATS_URL, heartbeatIntervalMs: 300 });
    const gone = await startHost();
    let back: SimulatedHost | null = null;
    try {
      await waitFor(async () => (await hostStatus(hostId)) === 'UP', 30_000, `host ${hostId} to be UP`);
      const instance = await create(container(uniqueName('stranded-')));
      await system.waitForStatus(instance.id, ['RUNNING']);
      await request('stop', { id: instance.id });
      await system.waitForStatus(instance.id, ['STOPPED']);
      if ((await system.get(instance.id)).hostId !== hostId) await request('migrate', { id: instance.id, hostId });
      await waitFor(async () => (await system.get(instance.id)).hostId === hostId && gone.list().length === 1, 30_000, 'the instance on the host that goes');

      // The host dies; it fences itself (6 s) before compute holds it DOWN (10 s): nothing of it runs.
      await gone.stop();
      await waitFor(async () => (await hostStatus(hostId)) === 'DOWN', 30_000, `host ${hostId} to be DOWN`);
      await request('delete', { id: instance.id });
      await system.waitForStatus(instance.id, ['DELETED'], 30_000);

      // Back, it is asked to delete what it held of it.
      back = await startHost();
      await waitFor(() => back!.answered.get('instance.delete') === 1, 30_000, 'the returned host to be asked to delete the instance');
    } finally {
      await gone.stop().catch(() => undefined); // stopped above, unless the test failed before
      await back?.stop();
    }
  }, 120_000);
});
