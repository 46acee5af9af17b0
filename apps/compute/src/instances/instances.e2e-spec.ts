import { createHash } from 'node:crypto';
import { existsSync } from 'node:fs';
import { mkdir, readFile, rm, writeFile } from 'node:fs/promises';
import path from 'node:path';
import type { CreateInstanceInput } from '#libs/contracts';
import { qmp } from '#libs/qmp';
import { describeWithHardware, missingHardware, runCommand, uniqueName, waitFor } from '#libs/testing';
import { instancesDir } from '../../test/agent-files.js';
import { PLATFORM, startComputeSystem, type ComputeSystem } from '../../test/compute-system.js';

const container = (name: string): CreateInstanceInput => ({
  name, kind: 'CONTAINER', imageId: 'dev-busybox-rootfs', planId: 'ct-512m', regionId: 'local', billingCycle: 'HOURLY',
});
const vm = (name: string): CreateInstanceInput => ({
  name, kind: 'VM', imageId: 'dev-blank-disk', planId: 'vm-512m', regionId: 'local', billingCycle: 'MONTHLY',
});

describeWithHardware('instances through compute and a real host agent', missingHardware({ root: true, lxc: true, qemu: true }), () => {
  let system: ComputeSystem;
  const accountId = uniqueName('acct-');
  const request: ComputeSystem['instance'] = (operation, payload) => system.instance(operation, payload);
  const create = (input: CreateInstanceInput, account = accountId) => request('create', { accountId: account, input });
  const lxc = (program: string, id: string, ...args: string[]) => runCommand(program, ['-P', instancesDir(system.agentDataDir), '-n', id, ...args]);
  const lxcState = (id: string) => lxc('lxc-info', id, '-s', '-H').then((s) => s.trim());
  const memoryLimit = (id: string) => lxc('lxc-cgroup', id, 'memory.limit_in_bytes').then((s) => Number(s.trim()));
  const addressesOf = (instanceId: string, includeReleased = false) => system.client.call('network.ip.list', { ...PLATFORM, instanceId, includeReleased });
  const hostAllocation = async () => (await system.client.call('compute.host.list', {})).find((h) => h.id === system.hostId)!.allocatedMemoryMb;

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
    expect(existsSync(path.join(instancesDir(system.agentDataDir), created.id))).toBe(false);
    await waitFor(async () => (await hostAllocation()) === before, 10_000, 'the reservation to be released');

    const history = await request('history', { id: created.id });
    expect(history.edges.map((e) => e.node.type)).toEqual([
      'InstanceRequested', 'InstanceScheduled', 'InstanceAddressed', 'InstanceStarted',
      'InstanceStopRequested', 'InstanceStopped', 'InstanceStartRequested', 'InstanceStarted',
      'InstanceResizeRequested', 'InstanceResized', 'InstanceDeletionRequested', 'InstanceDeleted',
    ]);
    expect(JSON.parse(history.edges[9].node.data)).toEqual({ fromPlanId: 'ct-512m', toPlanId: 'ct-1g' });
    // Page by page, as a long-lived instance's history is read: the same events, in the same order.
    const paged: string[] = [];
    for (let after: string | undefined; ; ) {
      const page = await request('history', { id: created.id, first: 5, after });
      paged.push(...page.edges.map((e) => e.node.id));
      if (!page.pageInfo.hasNextPage) break;
      after = page.pageInfo.endCursor!;
    }
    expect(paged).toEqual(history.edges.map((e) => e.node.id));
  });

  it('gives a container its IPv4 and IPv6 on the bridge, names it in DNS, and takes the addresses back when it is deleted', async () => {
    const [v4Pool] = await system.client.call('network.pool.list', { regionId: 'local' });
    const created = await create(container(uniqueName('net-')));
    await system.waitForStatus(created.id, ['RUNNING']);
    const ips = (await addressesOf(created.id)).edges.map((e) => e.node);
    expect(ips).toEqual([
      expect.objectContaining({ family: 'IPV4', address: expect.stringMatching(/^198\.51\.100\.\d+$/), prefixLength: 25, gateway: '198.51.100.1', floating: false }),
      expect.objectContaining({ family: 'IPV6', address: expect.stringMatching(/^2001:db8:51:/), prefixLength: 64, floating: false }),
    ]);
    const [v4, v6] = ips.map((ip) => ip.address);
    expect((await lxc('lxc-info', created.id, '-i', '-H')).split('\n')).toContain(v4);
    await runCommand('ping', ['-c', '1', '-W', '5', v4]); // from the host, over the bridge
    expect(await system.client.call('network.dns.records', { zone: 'local.awan.test' })).toEqual(expect.arrayContaining([
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
    expect((await system.client.call('network.pool.list', { regionId: 'local' }))[0].allocated).toBe(v4Pool.allocated);
  });

  it('leaves no address and no share of its host behind when a create fails', async () => {
    const before = await hostAllocation();
    // An image imported from the storage (an operator's upload, the least a rootfs holds), then lost from it: the host cannot make the instance.
    const imageId = uniqueName('lost-');
    const upload = path.join(system.agentDataDir, 'images', 'uploads');
    await mkdir(path.join(upload, 'rootfs', 'sbin'), { recursive: true });
    await writeFile(path.join(upload, 'rootfs', 'sbin', 'init'), '');
    await runCommand('tar', ['-cf', path.join(upload, `${imageId}.tar`), '-C', path.join(upload, 'rootfs'), '.']);
    const sha256 = createHash('sha256').update(await readFile(path.join(upload, `${imageId}.tar`))).digest('hex');
    await system.client.call('compute.catalog.image.register', {
      ...PLATFORM, input: { id: imageId, name: 'Lost from the storage', os: 'none', version: '0', kind: 'CONTAINER', source: `uploads/${imageId}.tar`, sha256 },
    });
    await waitFor(async () => (await system.client.call('compute.catalog.images', { retired: true })).find((i) => i.id === imageId)?.status === 'AVAILABLE', 60_000, 'the image to be imported');
    await rm(path.join(system.agentDataDir, 'images', 'catalog', `${imageId}.tar`));
    const created = await create({ ...container(uniqueName('fail-')), imageId });
    const failed = await system.waitForStatus(created.id, ['ERROR']);
    expect(failed.failureReason).toContain('no image at');
    await waitFor(async () => (await addressesOf(created.id)).totalCount === 0, 10_000, 'the failed instance\'s addresses to be released');
    expect((await addressesOf(created.id, true)).totalCount).toBe(2); // it had them, and gave them back
    // Given back once the host has deleted what it made of it (after its addresses, on another service's time).
    await waitFor(async () => (await hostAllocation()) === before, 10_000, "the failed instance's share of its host to be given back");
  });

  it('deletes an instance asked to go while its host makes it, leaving nothing on the host', async () => {
    const before = await hostAllocation();
    const created = await Promise.all([create(vm(uniqueName('gone-'))), create(container(uniqueName('gone-')))]);
    // At once, as Terraform's destroy after an interrupted apply: the host may be making them as the deletes come.
    for (const { id } of created) expect(await request('delete', { id })).toMatchObject({ status: 'DELETING' });
    for (const { id } of created) {
      await system.waitForStatus(id, ['DELETED']);
      expect(existsSync(path.join(instancesDir(system.agentDataDir), id))).toBe(false);
      await waitFor(async () => (await addressesOf(id)).totalCount === 0, 10_000, `the addresses of ${id} to be released`);
    }
    await waitFor(async () => (await hostAllocation()) === before, 10_000, 'the reservations to be released');
    // Nothing of them runs on the host either (pgrep fails where no process names the id).
    for (const { id } of created) expect(await runCommand('pgrep', ['-af', id]).catch(() => '')).toBe('');
  });

  it('shows STOPPED when the guest powers itself off', async () => {
    const created = await create(container(uniqueName('self-')));
    await system.waitForStatus(created.id, ['RUNNING']);
    await new Promise((resolve) => setTimeout(resolve, 5000)); // a report must be newer than the status it contradicts
    await lxc('lxc-attach', created.id, '--', '/bin/poweroff');
    await system.waitForStatus(created.id, ['STOPPED'], 30_000);
    await request('start', { id: created.id });
    await system.waitForStatus(created.id, ['RUNNING']);
    await request('delete', { id: created.id });
    await system.waitForStatus(created.id, ['DELETED']);
  });

  it('runs a VM, force-stops it and deletes it', async () => {
    const created = await create(vm(uniqueName('vm-')));
    await system.waitForStatus(created.id, ['RUNNING']);
    await request('stop', { id: created.id, force: true });
    await system.waitForStatus(created.id, ['STOPPED']);
    await request('delete', { id: created.id });
    await system.waitForStatus(created.id, ['DELETED']);
    expect(existsSync(path.join(instancesDir(system.agentDataDir), created.id))).toBe(false);
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
    const qemuPid = () => runCommand('pgrep', ['-f', `process=awan-${created.id}`]).then((out) => out.trim());
    const pid = await qemuPid();

    expect(await request('resize', { id: created.id, planId: 'vm-1g' })).toMatchObject({ status: 'RESIZING' });
    expect(await system.waitForStatus(created.id, ['RUNNING'])).toMatchObject({ planId: 'vm-1g', memoryMb: 1024 });
    const memory = await qmp<{ 'base-memory': number; 'plugged-memory': number }>(socket, 'query-memory-size-summary');
    expect((memory['base-memory'] + memory['plugged-memory']) / 1024 ** 2).toBe(1024);
    const blocks = await qmp<{ device: string; inserted: { image: { 'virtual-size': number } } }[]>(socket, 'query-block');
    expect(blocks.find((block) => block.device === 'disk0')!.inserted.image['virtual-size']).toBe(25 * 1024 ** 3);
    // Grown in place: the same QEMU, and no restart in the history.
    expect(await qemuPid()).toBe(pid);
    const history = await request('history', { id: created.id });
    expect(JSON.parse(history.edges.at(-1)!.node.data)).toEqual({ fromPlanId: 'vm-512m', toPlanId: 'vm-1g' });

    await request('delete', { id: created.id });
    await system.waitForStatus(created.id, ['DELETED']);
  });
});
