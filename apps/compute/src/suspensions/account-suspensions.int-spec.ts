import { agentHeartbeatSubject, type AppError, type CreateInstanceInput, type HostHeartbeat } from '#libs/contracts';
import type { ServiceClient } from '#libs/messaging';
import {
  connectServiceClient, connectTestNats, createServiceDatabase, failureOf, runBuilt, TEST_NATS_URL, uniqueName, waitFor,
  type Fixture, type ServiceDatabase, type TestNats, type TestServiceClient } from '#libs/testing';
import { dunningEvent, publishBillingEvent, suspensionsHandled } from '../../test/billing-events.js';
import { PLATFORM, requestInstance, type InstanceOperation, type InstancePayload } from '../../test/compute-system.js';

/**
 * A built compute process, billing's events published to JetStream as billing publishes them, and
 * a host that only sends heartbeats: instances are scheduled on it and stay PROVISIONING (no
 * network service gives them addresses), which is what a suspension has to wait for.
 */
describe('billing\'s suspensions in a compute service process', () => {
  let database: ServiceDatabase;
  let caller: TestServiceClient;
  let client: ServiceClient;
  let testNats: TestNats;
  let compute: Fixture;
  let heartbeats: NodeJS.Timeout;
  // A region of its own: no other compute on this NATS places anything on the test's host.
  const regionId = uniqueName('susp-');
  const hostId = uniqueName('host-');
  const request = <O extends InstanceOperation>(operation: O, payload: InstancePayload<O>) => requestInstance(client, operation, payload);
  const container = (): CreateInstanceInput => ({
    name: uniqueName('web-'), kind: 'CONTAINER', imageId: 'dev-busybox-rootfs', planId: 'ct-512m', regionId, billingCycle: 'HOURLY',
  });
  const create = (accountId: string) => request('create', { accountId, input: container() });
  const suspendedFor = (accountId: string) => ({ code: 'CONFLICT', message: `account ${accountId} is suspended for non-payment` });

  beforeAll(async () => {
    database = await createServiceDatabase('awan_compute_');
    caller = await connectServiceClient('suspensions-test');
    client = caller.client;
    testNats = await connectTestNats();
    compute = runBuilt('dist/apps/compute/src/main.js', { DATABASE_URL: database.url, NATS_URL: TEST_NATS_URL, PORT: '0' });
    await waitFor(() => client.call('compute.health', {}, 1000).then(() => true, () => false), 30_000, `compute to answer\n${compute.output()}`);
    await client.call('compute.catalog.region.create', { ...PLATFORM, input: { id: regionId, name: 'Suspensions test', dnsZone: 'awan.test' } });
    const beat = (): HostHeartbeat => ({
      hostId, name: hostId, regionId, kinds: ['CONTAINER'], capacity: { vcpus: 64, memoryMb: 65_536, diskGb: 2000 },
      allocated: { vcpus: 0, memoryMb: 0, diskGb: 0 }, instances: [], fenceTimeoutMs: 6000, sentAt: new Date().toISOString(),
    });
    heartbeats = setInterval(() => testNats.nats.publish(agentHeartbeatSubject(hostId), JSON.stringify(beat())), 1000);
    await waitFor(async () => {
      const hosts = await client.call('compute.host.list', {});
      return hosts.some((h) => h.id === hostId && h.status === 'UP');
    }, 30_000, `host ${hostId} to be UP`);
  }, 120_000);

  afterAll(async () => {
    clearInterval(heartbeats);
    if (compute) {
      compute.child.kill('SIGTERM');
      await compute.exited;
    }
    await testNats?.close(); // BILLING stays: billing and other runs share it
    await caller?.close();
    await database?.drop();
  }, 60_000);

  it('refuses creating and running an account\'s instances while it is suspended, waits for one on its way to running, and lets it go once reinstated', async () => {
    const accountId = uniqueName('acct-');
    const provisioning = await create(accountId);
    expect(provisioning.status).toBe('PROVISIONING');

    const suspended = dunningEvent(accountId, 'AccountSuspended', 1);
    const { seq: suspendedSeq } = await publishBillingEvent(testNats.nats, suspended);
    const refusal = await waitFor(() => create(accountId).then(() => undefined, (error: AppError) => error), 30_000, 'creates to be refused');
    expect(refusal).toMatchObject(suspendedFor(accountId));
    for (const operation of ['start', 'reboot'] as const) {
      expect(await failureOf<AppError>(request(operation, { id: provisioning.id }))).toMatchObject(suspendedFor(accountId));
    }
    expect(await failureOf<AppError>(request('resize', { id: provisioning.id, planId: 'ct-1g' }))).toMatchObject(suspendedFor(accountId));
    // Another account is not touched.
    await expect(create(uniqueName('acct-'))).resolves.toMatchObject({ status: 'PROVISIONING' });

    // The instance cannot be stopped before it runs: the suspension is in force, and its event comes back until then.
    await waitFor(() => compute.output().includes(`event ${suspended.eventId} (AccountSuspended) failed on delivery 2`), 30_000, 'the suspension to be redelivered');
    expect(compute.output()).toContain(`instances not stoppable yet, stopped once they settle: ${provisioning.id} (PROVISIONING)`);
    expect((await request('get', { id: provisioning.id }))?.status).toBe('PROVISIONING'); // never deleted

    const { seq: reinstatedSeq } = await publishBillingEvent(testNats.nats, dunningEvent(accountId, 'AccountReinstated', 2));
    await waitFor(() => create(accountId).catch(() => undefined), 30_000, 'creates to be accepted again');
    // The suspension's own redelivery, after the reinstatement, suspends nothing.
    await suspensionsHandled(testNats.nats, Math.max(suspendedSeq, reinstatedSeq));
    await expect(create(accountId)).resolves.toMatchObject({ status: 'PROVISIONING' });
  }, 120_000);

  it('applies each account\'s events in their stream\'s order: an older suspension arriving after the reinstatement changes nothing', async () => {
    const accountId = uniqueName('acct-');
    // A quota of nothing: a create answers whether the account is suspended (CONFLICT) or not
    // (QUOTA_EXCEEDED), and makes no instance that a suspension would wait for.
    await client.call('compute.quota.set', { ...PLATFORM, accountId, limits: { instances: 0, vcpus: 0, memoryMb: 0 } });
    const refusalOfCreate = () => failureOf<AppError>(create(accountId));
    const suspended = dunningEvent(accountId, 'AccountSuspended', 1);
    const reinstated = dunningEvent(accountId, 'AccountReinstated', 2);

    // Out of order on first delivery.
    await publishBillingEvent(testNats.nats, reinstated);
    const first = await publishBillingEvent(testNats.nats, suspended);
    await suspensionsHandled(testNats.nats, first.seq);
    expect(await refusalOfCreate()).toMatchObject({ code: 'QUOTA_EXCEEDED' });

    // Published again: JetStream drops it inside its duplicate window; past it, the consumer ignores it.
    expect((await publishBillingEvent(testNats.nats, suspended)).duplicate).toBe(true);
    const again = await publishBillingEvent(testNats.nats, suspended, `${suspended.eventId}:past-the-window`);
    expect(again.duplicate).toBe(false);
    await suspensionsHandled(testNats.nats, again.seq);
    expect(await refusalOfCreate()).toMatchObject({ code: 'QUOTA_EXCEEDED' });

    // A later suspension of the same account takes effect.
    const later = await publishBillingEvent(testNats.nats, dunningEvent(accountId, 'AccountSuspended', 3));
    await suspensionsHandled(testNats.nats, later.seq);
    expect(await refusalOfCreate()).toMatchObject(suspendedFor(accountId));
  }, 120_000);
});
