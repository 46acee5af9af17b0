import { randomUUID } from 'node:crypto';
import { mkdtempSync, rmSync } from 'node:fs';
import os from 'node:os';
import path from 'node:path';
import { jetstreamManager } from '@nats-io/jetstream';
import { connect, type NatsConnection } from '@nats-io/transport-node';
import type pg from 'pg';
import { type AppError, type ComputeEvents, type FirewallRule, type InstanceFilter, SYSTEM_ACTOR } from '#libs/contracts';
import { createPool } from '#libs/event-store';
import { type ServiceClient } from '#libs/messaging';
import {
  connectServiceClient, createServiceDatabase, eventEnvelope, failureOf, publishEvent, runBuilt, uniqueName, waitFor,
  type Fixture, type ServiceDatabase, type TestServiceClient,
} from '#libs/testing';
import { startNatsServer, type EmbeddedServer } from '../../../../scripts/embedded-servers.js';

const ssh: FirewallRule = { direction: 'INGRESS', protocol: 'TCP', ports: '22', addresses: ['0.0.0.0/0', '::/0'], description: 'ssh' };
const web: FirewallRule = { direction: 'INGRESS', protocol: 'TCP', ports: '8000-8100', addresses: ['198.51.100.0/24'], description: null };
const dns: FirewallRule = { direction: 'EGRESS', protocol: 'UDP', ports: '53', addresses: ['2001:db8::/32'], description: null };
const ping: FirewallRule = { direction: 'INGRESS', protocol: 'ICMP', ports: null, addresses: ['0.0.0.0/0'], description: null };

/** Above what the tests of one account make together; the limit's own test has an account of its own. */
const FIREWALLS_PER_ACCOUNT = 60;

describe("instances' addresses and firewalls across two network service processes", () => {
  // A NATS of the test's own: compute's instance events are this test's alone.
  let natsDir: string;
  let nats: EmbeddedServer;
  let publisher: NatsConnection;
  let database: ServiceDatabase;
  let db: pg.Pool;
  let caller: TestServiceClient;
  let client: ServiceClient;
  const services: Fixture[] = [];
  const accountId = uniqueName('acct-');
  const otherAccountId = uniqueName('acct-');
  const mine = { accountIds: [accountId] };

  /** Compute's event of an instance it requests in region `local` (network's seeded pools). */
  async function publishRequested(account = accountId): Promise<ComputeEvents['InstanceRequested']> {
    const instanceId = randomUUID();
    const requested: ComputeEvents['InstanceRequested'] = {
      instanceId, accountId: account, name: 'web-1', kind: 'CONTAINER', imageId: 'dev-busybox-rootfs', planId: 'ct-512m', regionId: 'local', billingCycle: 'HOURLY',
    };
    await publishEvent(publisher, 'compute', eventEnvelope(`instance-${instanceId}`, 'InstanceRequested', 1, requested));
    return requested;
  }
  /** Network's answer to compute's provisioner asking for the instance's addresses. */
  const address = ({ instanceId, accountId: account, regionId, name }: ComputeEvents['InstanceRequested']) =>
    client.call('network.instance.address', { instance: { instanceId, accountId: account, regionId, name }, metadata: { correlationId: instanceId, causationId: null, actor: SYSTEM_ACTOR } });
  /** An instance as compute requests it, once network has given it its addresses. */
  async function requestInstance(account = accountId): Promise<string> {
    const requested = await publishRequested(account);
    expect((await address(requested)).addresses).toHaveLength(2);
    return requested.instanceId;
  }
  const create = (name: string, rules: FirewallRule[], instanceIds?: string[]) =>
    client.call('network.firewall.create', { accountId, ...mine, input: { name, rules, instanceIds } });
  const filterOf = async (instanceId: string): Promise<InstanceFilter> => (await client.call('network.filter.ofInstances', { instanceIds: [instanceId] }))[0];
  const addressesOf = async (instanceId: string) =>
    (await client.call('network.ip.list', { instanceId, ...mine })).edges.map((edge) => edge.node.address);
  const filterStream = async (instanceId: string) =>
    (await db.query('SELECT version, type, data FROM events WHERE stream_id = $1 ORDER BY version', [`filter-${instanceId}`])).rows;

  beforeAll(async () => {
    natsDir = mkdtempSync(path.join(os.tmpdir(), 'awan-firewalls-nats-'));
    nats = await startNatsServer(natsDir, () => undefined, null);
    publisher = await connect({ servers: nats.url, name: 'firewalls-test' });
    database = await createServiceDatabase('awan_network_');
    db = createPool(database.url, { schema: 'network', max: 2 }); // network's own schema, to read its events
    caller = await connectServiceClient('network-test', nats.url);
    client = caller.client;
    // One after another: the first migrates the schema, the other finds it done.
    for (let i = 0; i < 2; i++) {
      services.push(runBuilt('dist/apps/network/src/main.js', {
        DATABASE_URL: database.url, NATS_URL: nats.url, PORT: '0', DNS_PORT: '0', FIREWALLS_PER_ACCOUNT: String(FIREWALLS_PER_ACCOUNT), FLOATING_IPS_PER_ACCOUNT: '4',
      }));
      await waitFor(() => client.call('network.health', {}, 1000).then(() => true, () => false), 30_000, `network to answer\n${services.at(-1)!.output()}`);
    }
  }, 120_000);

  afterAll(async () => {
    for (const service of services) {
      service.child.kill('SIGTERM');
      await service.exited;
    }
    await caller?.close();
    await publisher?.close();
    await db?.end();
    await database?.drop();
    await nats?.stop();
    rmSync(natsDir, { recursive: true, force: true });
  }, 60_000);

  it('gives a new instance its IPv4 and IPv6 once, however many replicas are asked at once, with the filter its host is to enforce', async () => {
    const requested = await publishRequested();
    const answers = await Promise.all(Array.from({ length: 6 }, () => address(requested)));
    const [first] = answers;
    expect(answers).toEqual(Array(6).fill(first));
    expect(first.addresses?.map((a) => a.family)).toEqual(['IPV4', 'IPV6']);
    expect(first).toMatchObject({ filter: { instanceId: requested.instanceId, revision: 1, addresses: first.addresses!.map((a) => a.address), firewall: null } });
    expect((await client.call('network.ip.list', { instanceId: requested.instanceId, ...mine })).totalCount).toBe(2);
    expect(await address(requested)).toEqual(first); // asked again later: the same answer
    const bad = client.call('network.instance.address', { instance: { ...requested, instanceId: 'x' }, metadata: { correlationId: 'c', causationId: null, actor: SYSTEM_ACTOR } });
    expect(await failureOf<AppError>(bad)).toMatchObject({ code: 'BAD_USER_INPUT', field: 'instance.instanceId' });
  }, 60_000);

  it('gives an instance that ended no addresses, and takes back those of one that ends once given them', async () => {
    const ended = await publishRequested();
    await publishEvent(publisher, 'compute', eventEnvelope(`instance-${ended.instanceId}`, 'InstanceDeleted', 2, {}));
    await waitFor(async () => (await db.query('SELECT 1 FROM instances WHERE id = $1 AND ended_at IS NOT NULL', [ended.instanceId])).rowCount === 1, 20_000, 'the instance ended');
    expect(await address(ended)).toEqual({ addresses: null, reason: `instance ${ended.instanceId} ended before it was given addresses` });
    expect((await client.call('network.ip.list', { instanceId: ended.instanceId, ...mine })).totalCount).toBe(0);

    const given = await requestInstance();
    await publishEvent(publisher, 'compute', eventEnvelope(`instance-${given}`, 'InstanceDeleted', 2, {}));
    await waitFor(async () => (await client.call('network.ip.list', { instanceId: given, ...mine })).totalCount === 0, 20_000, 'its addresses released');
  }, 60_000);

  it('attaches a new firewall to the instances it names, and lists, finds and shows it per instance', async () => {
    const [a, b] = [await requestInstance(), await requestInstance()];
    const firewall = await create('web', [ssh, { ...web, ports: '8000 - 8100' }], [b, a.toUpperCase()]);
    expect(firewall).toEqual({
      id: expect.any(String), accountId, name: 'web', rules: [ssh, web], instanceIds: [a, b].sort(), createdAt: expect.any(String),
    });
    expect(await client.call('network.firewall.get', { id: firewall.id, ...mine })).toEqual(firewall);
    expect(await client.call('network.firewall.get', { id: firewall.id, accountIds: [otherAccountId] })).toBeNull();
    const list = await client.call('network.firewall.list', { ...mine, first: 100 });
    expect(list.edges.map((edge) => edge.node)).toContainEqual(firewall);
    expect(list.totalCount).toBe(list.edges.length);
    expect((await client.call('network.firewall.list', { accountIds: [otherAccountId] })).totalCount).toBe(0);
    expect(await client.call('network.firewall.ofInstances', { instanceIds: [a, randomUUID()], ...mine }))
      .toEqual([{ instanceId: a, firewalls: [firewall] }, { instanceId: expect.any(String), firewalls: [] }]);
    expect(await client.call('network.firewall.ofInstances', { instanceIds: [a], accountIds: [otherAccountId] })).toEqual([{ instanceId: a, firewalls: [] }]);
  }, 60_000);

  it('attaches only its own account\'s instances (another\'s or an unknown one is NOT_FOUND) and refuses bad rules naming the field', async () => {
    const theirs = await requestInstance(otherAccountId);
    const before = (await client.call('network.firewall.list', mine)).totalCount;
    for (const instanceId of [theirs, randomUUID(), 'not-an-id']) {
      expect(await failureOf<AppError>(create('web', [ssh], [instanceId]))).toMatchObject({ code: 'NOT_FOUND', message: `instance ${instanceId} not found` });
    }
    const firewall = await create('ssh', [ssh]);
    expect(await failureOf<AppError>(client.call('network.firewall.attach', { id: firewall.id, instanceId: theirs, ...mine })))
      .toMatchObject({ code: 'NOT_FOUND', message: `instance ${theirs} not found` });
    // Nor may the other account reach the firewall, to attach its own instance.
    expect(await failureOf<AppError>(client.call('network.firewall.attach', { id: firewall.id, instanceId: theirs, accountIds: [otherAccountId] })))
      .toMatchObject({ code: 'NOT_FOUND', message: `firewall ${firewall.id} not found` });

    expect(await failureOf<AppError>(create('web', [ssh, { ...web, addresses: ['198.51.100.7/24'] }])))
      .toMatchObject({ code: 'BAD_USER_INPUT', field: 'input.rules[1].addresses[0]' });
    expect(await failureOf<AppError>(create('Web!', [ssh]))).toMatchObject({ code: 'BAD_USER_INPUT', field: 'input.name' });
    expect(await failureOf<AppError>(create('many', [ssh], Array.from({ length: 101 }, () => randomUUID()))))
      .toMatchObject({ code: 'BAD_USER_INPUT', field: 'input.instanceIds', message: expect.stringContaining('at most 100 instances, not 101') });
    const setRules = (rules: unknown[]) => failureOf<AppError>(client.call('network.firewall.setRules', { id: firewall.id, rules: rules as FirewallRule[], ...mine }));
    expect(await setRules([ssh, { ...ping, ports: '8' }])).toMatchObject({ code: 'BAD_USER_INPUT', field: 'rules[1].ports', message: 'rules[1].ports: ICMP has no ports: leave them null' });
    expect(await setRules([{ ...web, ports: '0' }])).toMatchObject({ code: 'BAD_USER_INPUT', field: 'rules[0].ports' });
    expect(await setRules([{ ...web, ports: '8100-8000' }])).toMatchObject({ code: 'BAD_USER_INPUT', field: 'rules[0].ports' });
    expect(await setRules([{ ...web, addresses: ['2001:db8::/129'] }])).toMatchObject({ code: 'BAD_USER_INPUT', field: 'rules[0].addresses[0]' });
    expect(await setRules(Array.from({ length: 51 }, () => ssh))).toMatchObject({ code: 'BAD_USER_INPUT', field: 'rules' });
    expect((await client.call('network.firewall.list', mine)).totalCount).toBe(before + 1);
    expect(await client.call('network.firewall.get', { id: firewall.id, ...mine })).toMatchObject({ rules: [ssh], instanceIds: [] });
  }, 60_000);

  it('holds at most 5 firewalls on an instance, however many attach at once (CONFLICT beyond)', async () => {
    const instanceId = await requestInstance();
    for (let i = 0; i < 5; i++) await create(`fw-${i}`, [ssh], [instanceId]);
    expect(await failureOf<AppError>(create('sixth', [ssh], [instanceId])))
      .toMatchObject({ code: 'CONFLICT', message: `instance ${instanceId} has 5 firewalls attached, the most it may have: detach one first` });
    const sixth = await create('sixth', [ssh]);
    expect(await failureOf<AppError>(client.call('network.firewall.attach', { id: sixth.id, instanceId, ...mine }))).toMatchObject({ code: 'CONFLICT' });

    // Eight firewalls attached to one instance at once, through both processes: five of them win.
    const raced = await requestInstance();
    const firewalls = await Promise.all(Array.from({ length: 8 }, (_, i) => create(`race-${i}`, [ping])));
    const outcomes = await Promise.allSettled(firewalls.map((firewall) => client.call('network.firewall.attach', { id: firewall.id, instanceId: raced, ...mine }, 30_000)));
    const refused = outcomes.flatMap((outcome) => (outcome.status === 'rejected' ? [outcome.reason as AppError] : []));
    expect(outcomes.filter((outcome) => outcome.status === 'fulfilled')).toHaveLength(5);
    expect(refused).toHaveLength(3);
    for (const error of refused) expect(error).toMatchObject({ code: 'CONFLICT', message: expect.stringContaining('the most it may have') });
    const [attached] = await client.call('network.firewall.ofInstances', { instanceIds: [raced], ...mine });
    expect(attached.firewalls).toHaveLength(5);
    // Its filter changed once with its addresses, then once per attach.
    expect(await filterOf(raced)).toMatchObject({ revision: 6, firewall: { ingress: Array(5).fill({ protocol: 'ICMP', ports: null, addresses: ['0.0.0.0/0'] }), egress: null } });
  }, 60_000);

  it(`holds at most ${FIREWALLS_PER_ACCOUNT} firewalls of an account, however many are created at once (QUOTA_EXCEEDED beyond)`, async () => {
    const tenant = uniqueName('acct-');
    const createFor = (account: string, name: string) => client.call('network.firewall.create', { accountId: account, accountIds: [account], input: { name, rules: [ping] } }, 30_000);
    const outcomes = await Promise.allSettled(Array.from({ length: FIREWALLS_PER_ACCOUNT + 10 }, (_, i) => createFor(tenant, `fw-${i}`)));
    const made = outcomes.flatMap((outcome) => (outcome.status === 'fulfilled' ? [outcome.value] : []));
    const refused = outcomes.flatMap((outcome) => (outcome.status === 'rejected' ? [outcome.reason as AppError] : []));
    expect(made).toHaveLength(FIREWALLS_PER_ACCOUNT);
    expect(refused).toHaveLength(10);
    for (const error of refused) {
      expect(error).toMatchObject({ code: 'QUOTA_EXCEEDED', message: `account ${tenant} may hold ${FIREWALLS_PER_ACCOUNT} firewalls; it holds ${FIREWALLS_PER_ACCOUNT}: delete one first` });
    }
    expect((await client.call('network.firewall.list', { accountIds: [tenant] })).totalCount).toBe(FIREWALLS_PER_ACCOUNT);
    // Another account's are its own; a deleted one makes room.
    expect(await createFor(uniqueName('acct-'), 'theirs')).toMatchObject({ name: 'theirs' });
    await client.call('network.firewall.delete', { id: made[0].id, accountIds: [tenant] });
    expect(await createFor(tenant, 'again')).toMatchObject({ name: 'again' });
  }, 60_000);

  it('lets an account have 4 floating addresses in a region, counting those it released within their quarantine (QUOTA_EXCEEDED beyond)', async () => {
    const tenant = uniqueName('acct-');
    const allocateFor = (account: string) =>
      client.call('network.ip.allocate', { accountId: account, accountIds: [account], input: { regionId: 'local', family: 'IPV4' } }, 30_000);
    const outcomes = await Promise.allSettled(Array.from({ length: 10 }, () => allocateFor(tenant)));
    const held = outcomes.flatMap((outcome) => (outcome.status === 'fulfilled' ? [outcome.value] : []));
    const refused = outcomes.flatMap((outcome) => (outcome.status === 'rejected' ? [outcome.reason as AppError] : []));
    expect(held).toHaveLength(4);
    expect(refused).toHaveLength(6);
    for (const error of refused) expect(error).toMatchObject({ code: 'QUOTA_EXCEEDED', message: expect.stringContaining(`account ${tenant} may have 4 floating addresses in region local`) });
    // Released, an address rests an hour before anyone gets it again, and counts meanwhile: allocating and releasing
    // would otherwise put the whole pool to rest, and every tenant's creates would fail.
    await client.call('network.ip.release', { id: held[0].id, accountIds: [tenant] });
    expect(await failureOf<AppError>(allocateFor(tenant))).toMatchObject({ code: 'QUOTA_EXCEEDED', message: expect.stringContaining('it has 4') });
    expect(await allocateFor(uniqueName('acct-'))).toMatchObject({ floating: true, regionId: 'local' });
    // An instance's own addresses are not counted.
    expect((await address(await publishRequested(tenant))).addresses).toHaveLength(2);
  }, 60_000);

  it('attaches one firewall to 50 instances asked at once through both processes, as Terraform asks, and detaches it from them so', async () => {
    const instances = await Promise.all(Array.from({ length: 50 }, () => requestInstance()));
    const firewall = await create('shared', [ping]);
    const attach = (instanceId: string) => client.call('network.firewall.attach', { id: firewall.id, instanceId, ...mine }, 30_000);
    const detach = (instanceId: string) => client.call('network.firewall.detach', { id: firewall.id, instanceId, ...mine }, 30_000);
    // Every one answered: none gave up on the others' appends to the firewall's stream.
    await Promise.all(instances.map(attach));
    expect((await client.call('network.firewall.get', { id: firewall.id, ...mine }))!.instanceIds.sort()).toEqual([...instances].sort());
    for (const instanceId of instances.slice(0, 3)) {
      expect(await filterOf(instanceId)).toMatchObject({ revision: 2, firewall: { ingress: [{ protocol: 'ICMP', ports: null, addresses: ['0.0.0.0/0'] }], egress: null } });
    }
    await Promise.all(instances.map(detach));
    expect(await client.call('network.firewall.get', { id: firewall.id, ...mine })).toMatchObject({ instanceIds: [] });
    expect(await filterOf(instances[0])).toMatchObject({ revision: 3, firewall: null });
  }, 60_000);

  it('deletes a firewall only once it is detached from every instance (CONFLICT before)', async () => {
    const instanceId = await requestInstance();
    const firewall = await create('doomed', [ssh], [instanceId]);
    expect(await failureOf<AppError>(client.call('network.firewall.delete', { id: firewall.id, ...mine })))
      .toMatchObject({ code: 'CONFLICT', message: `firewall ${firewall.id} is attached to instance ${instanceId}: detach it first` });
    expect(await client.call('network.firewall.detach', { id: firewall.id, instanceId, ...mine })).toMatchObject({ instanceIds: [] });
    expect(await client.call('network.firewall.delete', { id: firewall.id, ...mine })).toMatchObject({ id: firewall.id, name: 'doomed', instanceIds: [] });
    expect(await client.call('network.firewall.get', { id: firewall.id, ...mine })).toBeNull();
    expect((await client.call('network.firewall.list', { ...mine, first: 100 })).edges.map((edge) => edge.node.id)).not.toContain(firewall.id);
    expect(await failureOf<AppError>(client.call('network.firewall.attach', { id: firewall.id, instanceId, ...mine }))).toMatchObject({ code: 'NOT_FOUND' });
  }, 60_000);

  it('answers what an instance\'s host is to enforce, its revision growing with every change, each an InstanceFilterChanged', async () => {
    const instanceId = await requestInstance();
    const own = await addressesOf(instanceId);
    expect(own).toEqual([expect.stringMatching(/^203\.0\.113\./), expect.stringMatching(/^2001:db8:113:/)]);
    expect(await filterOf(instanceId)).toEqual({ instanceId, revision: 1, addresses: own, firewall: null });

    const a = await create('a', [ssh]);
    const b = await create('b', [web, dns]);
    expect((await filterOf(instanceId)).revision).toBe(1); // neither is attached yet
    await client.call('network.firewall.attach', { id: a.id, instanceId, ...mine });
    expect(await filterOf(instanceId)).toEqual({
      instanceId, revision: 2, addresses: own,
      firewall: { ingress: [{ protocol: 'TCP', ports: { from: 22, to: 22 }, addresses: ['0.0.0.0/0', '::/0'] }], egress: null },
    });
    await client.call('network.firewall.attach', { id: b.id, instanceId, ...mine });
    expect(await filterOf(instanceId)).toEqual({
      instanceId, revision: 3, addresses: own,
      firewall: {
        ingress: [
          { protocol: 'TCP', ports: { from: 22, to: 22 }, addresses: ['0.0.0.0/0', '::/0'] },
          { protocol: 'TCP', ports: { from: 8000, to: 8100 }, addresses: ['198.51.100.0/24'] },
        ],
        egress: [{ protocol: 'UDP', ports: { from: 53, to: 53 }, addresses: ['2001:db8::/32'] }],
      },
    });
    await client.call('network.firewall.setRules', { id: a.id, rules: [ping], ...mine });
    expect((await filterOf(instanceId)).firewall!.ingress[0]).toEqual({ protocol: 'ICMP', ports: null, addresses: ['0.0.0.0/0'] });

    // A floating address is the instance's while assigned.
    const floating = await client.call('network.ip.allocate', { accountId, ...mine, input: { regionId: 'local', family: 'IPV4', instanceId } });
    expect(await filterOf(instanceId)).toMatchObject({ revision: 5, addresses: [own[0], floating.address, own[1]] }); // IPv4 first, each family in the order allocated
    await client.call('network.ip.unassign', { id: floating.id, ...mine });
    expect(await filterOf(instanceId)).toMatchObject({ revision: 6, addresses: own });
    await client.call('network.ip.assign', { id: floating.id, instanceId, ...mine });
    expect((await filterOf(instanceId)).addresses).toContain(floating.address);

    await client.call('network.firewall.detach', { id: b.id, instanceId, ...mine });
    expect(await filterOf(instanceId)).toMatchObject({ revision: 8, firewall: { ingress: [expect.objectContaining({ protocol: 'ICMP' })], egress: null } });
    await client.call('network.firewall.detach', { id: a.id, instanceId, ...mine });
    expect(await filterOf(instanceId)).toMatchObject({ revision: 9, firewall: null });
    // Nothing changes, nothing is recorded.
    await client.call('network.firewall.detach', { id: a.id, instanceId, ...mine });
    await client.call('network.firewall.setRules', { id: a.id, rules: [ping], ...mine });

    const stream = await filterStream(instanceId);
    expect(stream).toEqual(Array.from({ length: 9 }, (_, i) => ({ version: i + 1, type: 'InstanceFilterChanged', data: { instanceId, revision: i + 1 } })));
    // Published where compute listens for them, in order: the ninth last (the relay may still be publishing
    // the earlier tests' changes, and this one's eighth, so it is waited for).
    const jsm = await jetstreamManager(publisher);
    await waitFor(async () => {
      const last = await jsm.streams.getMessage('NETWORK', { last_by_subj: 'events.network.filter.InstanceFilterChanged' }).catch(() => null);
      const data = last?.json<{ data: { instanceId: string; revision: number } }>().data;
      return data?.instanceId === instanceId && data.revision === 9;
    }, 10_000, 'the ninth InstanceFilterChanged published last');
    // An instance network knows nothing of yet.
    const unknown = randomUUID();
    expect(await filterOf(unknown)).toEqual({ instanceId: unknown, revision: 0, addresses: [], firewall: null });
  }, 60_000);

  it('detaches an instance\'s firewalls when compute deletes it', async () => {
    const instanceId = await requestInstance();
    const firewall = await create('kept', [ssh], [instanceId]);
    await publishEvent(publisher, 'compute', eventEnvelope(`instance-${instanceId}`, 'InstanceDeleted', 2, {}));
    await waitFor(async () => (await client.call('network.firewall.get', { id: firewall.id, ...mine }))!.instanceIds.length === 0, 20_000, 'the firewall detached');
    const { rows } = await db.query('SELECT type, data FROM events WHERE stream_id = $1 ORDER BY version', [`firewall-${firewall.id}`]);
    expect(rows.map((row) => row.type)).toEqual(['FirewallCreated', 'FirewallAttached', 'FirewallDetached']);
    expect(rows[2].data).toEqual({ firewallId: firewall.id, instanceId, name: 'kept', reason: 'instance deleted' });
    expect(await filterOf(instanceId)).toMatchObject({ addresses: [], firewall: null });
    expect(await failureOf<AppError>(client.call('network.firewall.attach', { id: firewall.id, instanceId, ...mine }))).toMatchObject({ code: 'NOT_FOUND' });
    expect(await client.call('network.firewall.delete', { id: firewall.id, ...mine })).toMatchObject({ id: firewall.id });
  }, 60_000);
});

