import { existsSync, readdirSync } from 'node:fs';
import path from 'node:path';
import { describeWithHardware, GraphqlClient, missingHardware, runCommand, startTestAwan, uniqueName, waitFor, type TestAwan } from '#libs/testing';

interface Snapshot {
  id: string;
  name: string;
  status: string;
  sizeMb: number | null;
  instance: { id: string };
}
const SNAPSHOT_FIELDS = 'id name status sizeMb createdAt instance { id }';

/**
 * Snapshots through the GraphQL API on the whole system (`npm start`'s launcher) with this
 * machine's agent: a container's file and a VM's disk bytes come back with a restore, the limit
 * and a snapshot during another operation are CONFLICT, another tenant sees nothing, and the
 * invoice bills the snapshot's storage on a line of its own.
 */
describeWithHardware('snapshots through the GraphQL API', missingHardware({ root: true, lxc: true, qemu: true }), () => {
  let awan: TestAwan;
  let admin: GraphqlClient;
  let customer: GraphqlClient;
  let stranger: GraphqlClient;
  let instancesDir: string;

  beforeAll(async () => {
    awan = await startTestAwan('snap_e2e');
    const api = new GraphqlClient(awan.url);
    admin = api.as(awan.adminKey);
    const account = async (name: string) => api.as((await admin.data(`mutation { createAccount(input: { name: "${name}", kind: CUSTOMER }) { apiKey { secret } } }`)).createAccount.apiKey.secret);
    customer = await account('Snapshot Customer');
    stranger = await account('Snapshot Stranger');
    instancesDir = path.join(awan.dataDir, 'agent', 'instances');
  }, 240_000);

  afterAll(() => awan?.stop(), 120_000);

  const statusOf = async (id: string) => (await customer.data(`{ instance(id: "${id}") { status } }`)).instance.status as string;
  const waitForStatus = (id: string, status: string) =>
    waitFor(async () => {
      const now = await statusOf(id);
      if (now === 'ERROR') throw new Error(`instance ${id} failed`);
      return now === status;
    }, 120_000, `instance ${id} to be ${status}`);
  const snapshotsOf = async (instanceId: string, client = customer) =>
    (await client.data<{ instance: { snapshots: Snapshot[] } | null }>(`{ instance(id: "${instanceId}") { snapshots { ${SNAPSHOT_FIELDS} } } }`)).instance?.snapshots;
  /** Takes a snapshot and waits until it is AVAILABLE. */
  const snapshot = async (instanceId: string, name: string): Promise<Snapshot> => {
    const { createSnapshot } = await customer.data<{ createSnapshot: Snapshot }>(`mutation { createSnapshot(instanceId: "${instanceId}", name: "${name}") { ${SNAPSHOT_FIELDS} } }`);
    expect(createSnapshot).toMatchObject({ name, status: 'CREATING', sizeMb: null, instance: { id: instanceId } });
    return waitFor(async () => {
      const found = (await snapshotsOf(instanceId))!.find((s) => s.id === createSnapshot.id);
      if (found?.status === 'ERROR') throw new Error(`snapshot ${name} failed`);
      return found?.status === 'AVAILABLE' ? found : undefined;
    }, 120_000, `snapshot ${name} to be AVAILABLE`);
  };
  const create = async (kind: 'CONTAINER' | 'VM', name: string) => {
    const input = kind === 'CONTAINER'
      ? `{ name: "${name}", kind: CONTAINER, imageId: "dev-busybox-rootfs", planId: "ct-512m", regionId: "local", billingCycle: HOURLY }`
      : `{ name: "${name}", kind: VM, imageId: "dev-blank-disk", planId: "vm-512m", regionId: "local", billingCycle: HOURLY }`;
    const { id } = (await customer.data(`mutation { createInstance(input: ${input}) { id } }`)).createInstance;
    await waitForStatus(id, 'RUNNING');
    return id as string;
  };
  const operate = async (mutation: string, id: string, status: string) => {
    await customer.data(`mutation { ${mutation}(id: "${id}") { id } }`);
    await waitForStatus(id, status);
  };
  const inContainer = (id: string, script: string) => runCommand('lxc-attach', ['-P', instancesDir, '-n', id, '--', '/bin/sh', '-c', script]);
  const codeOf = async (client: GraphqlClient, query: string) => (await client.request(query)).errors?.[0]?.extensions?.code;

  it("restores a container's rootfs as it was when the snapshot was taken, bills its storage, and shows another tenant nothing", async () => {
    const id = await create('CONTAINER', uniqueName('snap-ct-'));
    await inContainer(id, 'echo first > /root/marker');
    const taken = await snapshot(id, 'before-change');
    expect(taken.sizeMb).toBeGreaterThan(0);
    await inContainer(id, 'echo second > /root/marker');

    // Restored only onto a stopped instance.
    expect(await codeOf(customer, `mutation { restoreSnapshot(id: "${taken.id}") { id } }`)).toBe('CONFLICT');
    await operate('stopInstance', id, 'STOPPED');
    const { restoreSnapshot } = await customer.data(`mutation { restoreSnapshot(id: "${taken.id}") { id status } }`);
    expect(restoreSnapshot).toEqual({ id, status: 'RESTORING' });
    await waitForStatus(id, 'STOPPED');
    await operate('startInstance', id, 'RUNNING');
    expect((await inContainer(id, 'cat /root/marker')).trim()).toBe('first');
    expect(await snapshotsOf(id)).toEqual([taken]); // still there, to restore again

    // Another tenant: the instance, the snapshot and their operations do not exist for it.
    expect(await snapshotsOf(id, stranger)).toBeUndefined();
    expect(await codeOf(stranger, `mutation { createSnapshot(instanceId: "${id}", name: "mine") { id } }`)).toBe('NOT_FOUND');
    expect(await codeOf(stranger, `mutation { restoreSnapshot(id: "${taken.id}") { id } }`)).toBe('NOT_FOUND');
    expect(await codeOf(stranger, `mutation { deleteSnapshot(id: "${taken.id}") { id } }`)).toBe('NOT_FOUND');
    expect(await codeOf(customer, `mutation { deleteSnapshot(id: "00000000-0000-4000-8000-000000000000") { id } }`)).toBe('NOT_FOUND');
    // A name that is no RFC 1123 label, named.
    const badName = await customer.request(`mutation { createSnapshot(instanceId: "${id}", name: "Before Change") { id } }`);
    expect(badName.errors?.[0]).toMatchObject({ extensions: { code: 'BAD_USER_INPUT', field: 'name' } });

    // Its storage on the invoice: a line of its own, per GB-month, adding up.
    const line = await waitFor(async () => {
      const { upcomingInvoice } = await customer.data('{ upcomingInvoice { lines { resourceId resourceType sku unit quantity unitPrice { amount } amount { amount } usage { state } } } }');
      return upcomingInvoice.lines.find((l: { sku: string }) => l.sku === 'snapshot-storage');
    }, 30_000, 'a snapshot-storage line on the upcoming invoice');
    expect(line).toMatchObject({ resourceId: taken.id, resourceType: 'SNAPSHOT', unit: 'GB-month', unitPrice: { amount: '0.05' }, usage: [{ state: 'STORED' }] });

    // Deleted: its copy goes from the instance's folder, and so does the snapshot from the list.
    const { deleteSnapshot } = await customer.data(`mutation { deleteSnapshot(id: "${taken.id}") { id status } }`);
    expect(deleteSnapshot).toEqual({ id: taken.id, status: 'DELETING' });
    await waitFor(async () => (await snapshotsOf(id))!.length === 0, 60_000, 'the snapshot to be deleted');
    expect(readdirSync(path.join(instancesDir, id, 'snapshots'))).toEqual([]);
  }, 300_000);

  it('refuses the eleventh snapshot, and a snapshot during another operation, as CONFLICT; deletes them with the instance', async () => {
    const id = await create('CONTAINER', uniqueName('snap-lim-'));
    for (let i = 1; i <= 10; i++) await snapshot(id, `s${i}`);
    const eleventh = await customer.request(`mutation { createSnapshot(instanceId: "${id}", name: "s11") { id } }`);
    expect(eleventh.errors?.[0]).toMatchObject({ extensions: { code: 'CONFLICT' }, message: expect.stringContaining('the most it may have (10)') });
    const [first] = (await snapshotsOf(id))!;
    await customer.data(`mutation { deleteSnapshot(id: "${first.id}") { id } }`);
    await waitFor(async () => (await snapshotsOf(id))!.length === 9, 60_000, 'a snapshot to be deleted');

    // One mutation after the other in one request: the second comes while the first is under way
    // (a refused mutation's non-null field nulls the answer's data; the first is done all the same).
    const duringResize = await customer.request(`mutation { r: resizeInstance(id: "${id}", planId: "ct-1g") { status } s: createSnapshot(instanceId: "${id}", name: "during") { id } }`);
    expect(duringResize.errors).toEqual([expect.objectContaining({ path: ['s'], extensions: expect.objectContaining({ code: 'CONFLICT' }), message: expect.stringContaining('RESIZING (resize in progress)') })]);
    await waitFor(async () => (await customer.data(`{ instance(id: "${id}") { status plan { id } } }`)).instance.plan.id === 'ct-1g', 60_000, 'the resize');
    await waitForStatus(id, 'RUNNING');
    const duringSnapshot = await customer.request(`mutation { s: createSnapshot(instanceId: "${id}", name: "taking") { status } r: rebootInstance(id: "${id}") { status } }`);
    expect(duringSnapshot.errors).toEqual([expect.objectContaining({ path: ['r'], extensions: expect.objectContaining({ code: 'CONFLICT' }), message: expect.stringContaining('(snapshot in progress)') })]);
    const taking = await waitFor(async () => (await snapshotsOf(id))!.find((s) => s.name === 'taking' && s.status === 'AVAILABLE'), 60_000, 'the snapshot to be taken');
    expect((await snapshotsOf(id))!.map((s) => s.name)).toEqual([...Array.from({ length: 9 }, (_, i) => `s${i + 2}`), taking.name]);

    await operate('deleteInstance', id, 'DELETED');
    expect(await snapshotsOf(id)).toEqual([]);
    expect(existsSync(path.join(instancesDir, id))).toBe(false);
  }, 300_000);

  it("restores a VM's disk byte for byte: what was written before the snapshot is back", async () => {
    const id = await create('VM', uniqueName('snap-vm-'));
    const disk = path.join(instancesDir, id, 'disk.qcow2');
    const write = (pattern: string) => runCommand('qemu-io', ['-f', 'qcow2', '-c', `write -P ${pattern} 0 8M`, disk]);
    /** qemu-io compares every byte of the first 8 MB with the pattern, and fails on the first that differs. */
    const holds = (pattern: string) => runCommand('qemu-io', ['-f', 'qcow2', '-c', `read -P ${pattern} 0 8M`, disk]).then(() => true, () => false);

    await operate('stopInstance', id, 'STOPPED');
    await write('0xa1');
    await operate('startInstance', id, 'RUNNING');
    const taken = await snapshot(id, 'good-data'); // of the running VM, through QMP
    expect(taken.sizeMb).toBeGreaterThanOrEqual(8);
    await operate('stopInstance', id, 'STOPPED');
    await write('0xb2');
    expect(await holds('0xa1')).toBe(false);

    await customer.data(`mutation { restoreSnapshot(id: "${taken.id}") { id } }`);
    await waitForStatus(id, 'STOPPED');
    expect(await holds('0xa1')).toBe(true);
    // The history tells what happened, in order.
    const { instance } = await customer.data(`{ instance(id: "${id}") { history(first: 50) { edges { node { type } } } } }`);
    const types = instance.history.edges.map((e: { node: { type: string } }) => e.node.type).filter((t: string) => t.startsWith('Snapshot'));
    expect(types).toEqual(['SnapshotRequested', 'SnapshotCreated', 'SnapshotRestoreRequested', 'SnapshotRestored']);
    await operate('deleteInstance', id, 'DELETED');
  }, 300_000);
});
