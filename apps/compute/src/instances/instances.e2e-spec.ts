import { existsSync, mkdtempSync, rmSync } from 'node:fs';
import os from 'node:os';
import path from 'node:path';
import { connectTestNats, uniqueName, waitFor } from '#libs/testing';
import { probeHost } from '../../../host-agent/src/host/host-probe.js';
import { runProgram } from '../../../host-agent/src/host/program.js';
import { qmp } from '../../../host-agent/src/instances/qmp-client.js';
import { dunningEvent, publishBillingEvent, suspensionsHandled } from '../../test/billing-events.js';
import { startComputeSystem, type ComputeSystem } from '../../test/compute-system.js';
import type { CreateInstanceInput, InstanceHistoryEntry, InstanceView } from './instances.js';
import type { Page } from '#libs/messaging';
import type { IpView } from '../../../network/src/ips/ips.js';
import type { PoolView } from '../../../network/src/pools/pools.js';

const probeDir = mkdtempSync(path.join(os.tmpdir(), 'awan-probe-'));
const abilities = await probeHost(probeDir);
rmSync(probeDir, { recursive: true, force: true });
const canRun = abilities.kinds.includes('CONTAINER') && abilities.kinds.includes('VM') && process.getuid?.() === 0;
if (!canRun) console.warn(`skipping compute's whole-system instance tests: they need root, LXC and QEMU (${abilities.notes.join('; ') || 'not root'})`);

const container = (name: string): CreateInstanceInput => ({
  name, kind: 'CONTAINER', imageId: 'dev-busybox-rootfs', planId: 'ct-512m', regionId: 'local', billingCycle: 'HOURLY',
});
const vm = (name: string): CreateInstanceInput => ({
  name, kind: 'VM', imageId: 'dev-blank-disk', planId: 'vm-512m', regionId: 'local', billingCycle: 'MONTHLY',
});

(canRun ? describe : describe.skip)('instances through compute and a real host agent', () => {
  let system: ComputeSystem;
  const accountId = uniqueName('acct-');
  const request = <T>(subject: string, payload: unknown) => system.client.request<T>(`compute.instance.${subject}`, payload, 30_000);
  const create = (input: CreateInstanceInput, account = accountId) => request<InstanceView>('create', { accountId: account, input });
  const lxcState = (id: string) =>
    runProgram('lxc-info', ['-P', path.join(system.agentDataDir, 'instances'), '-n', id, '-s', '-H']).then((s) => s.trim());
  const memoryLimit = (id: string) =>
    runProgram('lxc-cgroup', ['-P', path.join(system.agentDataDir, 'instances'), '-n', id, 'memory.limit_in_bytes']).then((s) => Number(s.trim()));
  const addressesOf = (instanceId: string, includeReleased = false) =>
    system.client.request<Page<IpView> & { totalCount: number }>('network.ip.list', { instanceId, includeReleased });
  const hostAllocation = async () =>
    (await system.client.request<{ id: string; allocatedMemoryMb: number }[]>('compute.host.list', {})).find((h) => h.id === system.hostId)!.allocatedMemoryMb;

  beforeAll(async () => {
    system = await startComputeSystem({ INSTANCE_TIMEOUT_MS: '120000' });
  }, 120_000);
  afterAll(() => system?.close(), 120_000);

  it('runs a container through its life: create, stop, start, resize, delete, with nothing left behind', async () => {
    const before = await hostAllocation();
    const created = await create(container(uniqueName('web-')));
    expect(created).toMatchObject({ status: 'PROVISIONING', hostId: system.hostId, accountId, fqdn: `${created.name}.local.awan.test` });
    expect(await hostAllocation()).toBe(before + 512);

    await system.waitForStatus(created.id, ['RUNNING']);
    expect(await lxcState(created.id)).toBe('RUNNING');
    expect(await memoryLimit(created.id)).toBe(512 * 1024 * 1024);

    await request('stop', { id: created.id });
    await system.waitForStatus(created.id, ['STOPPED']);
    expect(await lxcState(created.id)).toBe('STOPPED');

    await request('start', { id: created.id });
    await system.waitForStatus(created.id, ['RUNNING']);

    expect(await request('resize', { id: created.id, planId: 'ct-1g' })).toMatchObject({ status: 'RESIZING' });
    expect(await system.waitForStatus(created.id, ['RUNNING'])).toMatchObject({ planId: 'ct-1g', memoryMb: 1024 });
    expect(await memoryLimit(created.id)).toBe(1024 * 1024 * 1024); // live, without a restart

    expect(await request('delete', { id: created.id })).toMatchObject({ status: 'DELETING' });
    await system.waitForStatus(created.id, ['DELETED']);
    expect(existsSync(path.join(system.agentDataDir, 'instances', created.id))).toBe(false);
    await waitFor(async () => (await hostAllocation()) === before, 10_000, 'the reservation to be released');

    const history = await request<Page<InstanceHistoryEntry>>('history', { id: created.id });
    expect(history.edges.map((e) => e.node.type)).toEqual([
      'InstanceRequested', 'InstanceScheduled', 'InstanceAddressed', 'InstanceStarted',
      'InstanceStopRequested', 'InstanceStopped', 'InstanceStartRequested', 'InstanceStarted',
      'InstanceResizeRequested', 'InstanceResized', 'InstanceDeletionRequested', 'InstanceDeleted',
    ]);
    expect(JSON.parse(history.edges[9].node.data)).toEqual({ fromPlanId: 'ct-512m', toPlanId: 'ct-1g' });
  });

  it('gives a container its IPv4 and IPv6 on the bridge, names it in DNS, and takes the addresses back when it is deleted', async () => {
    const [v4Pool] = await system.client.request<PoolView[]>('network.pool.list', { regionId: 'local' });
    const created = await create(container(uniqueName('net-')));
    await system.waitForStatus(created.id, ['RUNNING']);
    const ips = (await addressesOf(created.id)).edges.map((e) => e.node);
    expect(ips).toEqual([
      expect.objectContaining({ family: 'IPV4', address: expect.stringMatching(/^198\.51\.100\.\d+$/), prefixLength: 24, gateway: '198.51.100.1', floating: false }),
      expect.objectContaining({ family: 'IPV6', address: expect.stringMatching(/^2001:db8:51:/), prefixLength: 64, floating: false }),
    ]);
    const [v4, v6] = ips.map((ip) => ip.address);
    expect((await runProgram('lxc-info', ['-P', path.join(system.agentDataDir, 'instances'), '-n', created.id, '-i', '-H'])).split('\n')).toContain(v4);
    await runProgram('ping', ['-c', '1', '-W', '5', v4]); // from the host, over the bridge
    expect(await system.client.request('network.dns.records', { zone: 'local.awan.test' })).toEqual(expect.arrayContaining([
      { name: created.fqdn, type: 'A', value: v4, ttl: 300 },
      { name: created.fqdn, type: 'AAAA', value: v6, ttl: 300 },
    ]));

    await request('delete', { id: created.id });
    await system.waitForStatus(created.id, ['DELETED']);
    await waitFor(async () => (await addressesOf(created.id)).edges.length === 0, 10_000, 'the addresses to be released');
    const released = await addressesOf(created.id, true);
    expect(released.edges.map((e) => e.node)).toEqual([
      expect.objectContaining({ address: v4, releasedAt: expect.any(String) }), expect.objectContaining({ address: v6, releasedAt: expect.any(String) }),
    ]);
    // Back in the pool, resting in quarantine before anyone gets them again.
    expect((await system.client.request<PoolView[]>('network.pool.list', { regionId: 'local' }))[0].allocated).toBe(v4Pool.allocated);
  });

  it('leaves no address behind when a create fails', async () => {
    const imageId = uniqueName('missing-');
    await system.client.request('compute.catalog.image.register', {
      input: { id: imageId, name: 'Not on any host', os: 'none', version: '0', kind: 'CONTAINER', location: `/nonexistent/${imageId}.tar` },
    });
    const created = await create({ ...container(uniqueName('fail-')), imageId });
    const failed = await system.waitForStatus(created.id, ['ERROR']);
    expect(failed.failureReason).toContain('no image at');
    await waitFor(async () => (await addressesOf(created.id)).totalCount === 0, 10_000, 'the failed instance\'s addresses to be released');
    expect((await addressesOf(created.id, true)).totalCount).toBe(2); // it had them, and gave them back
  });

  it('moves a floating IP between an account\'s instances, never to another account\'s', async () => {
    const other = await create(container(uniqueName('other-')), uniqueName('acct-'));
    const mine = await create(container(uniqueName('mine-')));
    await system.waitForStatus(mine.id, ['RUNNING']);
    const network = <T>(subject: string, payload: object) => system.client.request<T>(`network.ip.${subject}`, { accountIds: [accountId], ...payload });
    const floating = await network<IpView>('allocate', { accountId, input: { regionId: 'local', family: 'IPV4', instanceId: mine.id } });
    expect(floating).toMatchObject({ floating: true, instanceId: mine.id });
    await expect(network('assign', { id: floating.id, instanceId: other.id })).rejects.toMatchObject({ code: 'NOT_FOUND' });
    await expect(network('allocate', { accountId, input: { regionId: 'local', family: 'IPV4', instanceId: other.id } })).rejects.toMatchObject({ code: 'NOT_FOUND' });
    expect(await network('unassign', { id: floating.id })).toMatchObject({ instanceId: null });
    await request('delete', { id: mine.id });
    await request('delete', { id: other.id });
    expect(await network('release', { id: floating.id })).toMatchObject({ releasedAt: expect.any(String) });
    for (const id of [mine.id, other.id]) await system.waitForStatus(id, ['DELETED']);
  });

  it('shows STOPPED when the guest powers itself off', async () => {
    const created = await create(container(uniqueName('self-')));
    await system.waitForStatus(created.id, ['RUNNING']);
    await new Promise((resolve) => setTimeout(resolve, 5000)); // a report must be newer than the status it contradicts
    await runProgram('lxc-attach', ['-P', path.join(system.agentDataDir, 'instances'), '-n', created.id, '--', '/bin/poweroff']);
    await system.waitForStatus(created.id, ['STOPPED'], 30_000);
    await request('start', { id: created.id });
    await system.waitForStatus(created.id, ['RUNNING']);
    await request('delete', { id: created.id });
    await system.waitForStatus(created.id, ['DELETED']);
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
      expect(await lxcState(running.id)).toBe('STOPPED'); // kept on its host
      await expect(request('start', { id: running.id })).rejects.toMatchObject(suspendedFor);
      await expect(create(container(uniqueName('more-')), account)).rejects.toMatchObject(suspendedFor);
      await expect(request('delete', { id: late.id })).resolves.toMatchObject({ status: 'DELETING' });
      await system.waitForStatus(late.id, ['DELETED']);

      const { seq } = await publishBillingEvent(billing.nats, dunningEvent(account, 'AccountReinstated', 2));
      await suspensionsHandled(billing.nats, seq);
      expect((await system.get(running.id)).status).toBe('STOPPED'); // reinstatement starts nothing
      await request('start', { id: running.id });
      await system.waitForStatus(running.id, ['RUNNING']);
      expect(await lxcState(running.id)).toBe('RUNNING');

      const history = await request<Page<InstanceHistoryEntry>>('history', { id: running.id });
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

  it('runs a VM, force-stops it and deletes it', async () => {
    const created = await create(vm(uniqueName('vm-')));
    await system.waitForStatus(created.id, ['RUNNING']);
    await request('stop', { id: created.id, force: true });
    await system.waitForStatus(created.id, ['STOPPED']);
    await request('delete', { id: created.id });
    await system.waitForStatus(created.id, ['DELETED']);
    expect(existsSync(path.join(system.agentDataDir, 'instances', created.id))).toBe(false);
  });

  it('refuses bad input with the field named, before anything is made', async () => {
    const name = uniqueName('bad-');
    await expect(create({ ...container('../etc') })).rejects.toMatchObject({ code: 'BAD_USER_INPUT', field: 'input.name' });
    await expect(create({ ...container('$(reboot)') })).rejects.toMatchObject({ code: 'BAD_USER_INPUT', field: 'input.name' });
    await expect(create({ ...container(name), planId: 'vm-512m' })).rejects.toMatchObject({ code: 'BAD_USER_INPUT', field: 'input.planId' });
    await expect(create({ ...container(name), imageId: '../../etc/passwd' })).rejects.toMatchObject({ code: 'BAD_USER_INPUT', field: 'input.imageId' });
    await expect(create({ ...container(name), regionId: 'mars' })).rejects.toMatchObject({ code: 'BAD_USER_INPUT', field: 'input.regionId' });
    await expect(create({ ...container(name), sshKeys: ['ssh-ed25519 AAAA; rm -rf /'] })).rejects.toMatchObject({ code: 'BAD_USER_INPUT', field: 'input.sshKeys[0]' });
    await expect(request('get', { id: '../../etc' })).resolves.toBeNull();
    const page = await request<Page<InstanceView>>('list', { accountId });
    expect(page.edges.map((e) => e.node.name)).not.toContain(name);
  });

  it('keeps to quotas, idempotency keys, tenancy and unique names', async () => {
    const account = uniqueName('quota-');
    await system.client.request('compute.quota.set', { accountId: account, limits: { instances: 1, vcpus: 4, memoryMb: 4096 } });
    const input = { ...container(uniqueName('once-')), idempotencyKey: 'order-1' };
    const first = await create(input, account);
    expect(await create(input, account)).toMatchObject({ id: first.id }); // the same key: the same instance, nothing new
    await expect(create(container(uniqueName('two-')), account)).rejects.toMatchObject({ code: 'QUOTA_EXCEEDED' });
    await expect(create(container(first.name))).rejects.toMatchObject({ code: 'BAD_USER_INPUT', field: 'input.name' });

    // Another tenant's instance does not exist for the caller.
    await expect(request('get', { id: first.id, accountIds: [accountId] })).resolves.toBeNull();
    await expect(request('stop', { id: first.id, accountIds: [accountId] })).rejects.toMatchObject({ code: 'NOT_FOUND' });
    const mine = await request<Page<InstanceView> & { totalCount: number }>('list', { accountIds: [account], first: 1 });
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
      const page: Page<InstanceView> & { totalCount: number } = await request('list', { accountId: account, first: 2, ...(after ? { after } : {}) });
      expect(page.totalCount).toBe(3);
      seen.push(...page.edges.map((e) => e.node.id));
      after = page.pageInfo.hasNextPage ? page.pageInfo.endCursor : null;
    } while (after);
    expect(seen).toEqual(made.map((m) => m.id));
    await expect(request('list', { after: 'bogus' })).rejects.toMatchObject({ code: 'BAD_USER_INPUT', field: 'after' });
    for (const m of made) await request('delete', { id: m.id });
    for (const m of made) await system.waitForStatus(m.id, ['DELETED']);
  });

  it('waits for an agent that is briefly away, and finishes a create whose compute was killed mid-way', async () => {
    await system.kill('agent');
    const created = await create(container(uniqueName('away-')));
    await new Promise((resolve) => setTimeout(resolve, 2000));
    expect((await system.get(created.id)).status).toBe('PROVISIONING'); // asked, unanswered, asked again

    // compute dies with the create in flight; a new compute takes over; the agent comes back.
    await system.kill('compute');
    await system.startCompute();
    await system.startAgent();
    await system.waitForStatus(created.id, ['RUNNING'], 90_000);
    expect(await lxcState(created.id)).toBe('RUNNING');

    // And killed right after the request was accepted, before its outcome was recorded.
    const second = await create(vm(uniqueName('killed-')));
    await system.kill('compute');
    await system.startCompute();
    expect((await system.waitForStatus(second.id, ['RUNNING', 'ERROR'], 90_000)).status).toBe('RUNNING');

    for (const id of [created.id, second.id]) await request('delete', { id });
    for (const id of [created.id, second.id]) await system.waitForStatus(id, ['DELETED']);
  }, 240_000);

  it('gives a running VM resized to vm-1g its 1024 MiB and bigger disk in place, as its QEMU reports them', async () => {
    const created = await create(vm(uniqueName('grow-')));
    await system.waitForStatus(created.id, ['RUNNING']);
    const socket = path.join(system.agentDataDir, 'run', created.id, 'qmp.sock');
    const qemuPid = () => runProgram('pgrep', ['-f', `process=awan-${created.id}`]).then((out) => out.trim());
    const pid = await qemuPid();

    expect(await request('resize', { id: created.id, planId: 'vm-1g' })).toMatchObject({ status: 'RESIZING' });
    expect(await system.waitForStatus(created.id, ['RUNNING'])).toMatchObject({ planId: 'vm-1g', memoryMb: 1024 });
    const memory = await qmp<{ 'base-memory': number; 'plugged-memory': number }>(socket, 'query-memory-size-summary');
    expect((memory['base-memory'] + memory['plugged-memory']) / 1024 ** 2).toBe(1024);
    const blocks = await qmp<{ device: string; inserted: { image: { 'virtual-size': number } } }[]>(socket, 'query-block');
    expect(blocks.find((block) => block.device === 'disk0')!.inserted.image['virtual-size']).toBe(25 * 1024 ** 3);
    // Grown in place: the same QEMU, and no restart in the history.
    expect(await qemuPid()).toBe(pid);
    const history = await request<Page<InstanceHistoryEntry>>('history', { id: created.id });
    expect(JSON.parse(history.edges.at(-1)!.node.data)).toEqual({ fromPlanId: 'vm-512m', toPlanId: 'vm-1g' });

    await request('delete', { id: created.id });
    await system.waitForStatus(created.id, ['DELETED']);
  });
});
