import { createHash } from 'node:crypto';
import { createReadStream, existsSync, readdirSync } from 'node:fs';
import { open, readFile, stat } from 'node:fs/promises';
import path from 'node:path';
import { PLATFORM_SCOPE } from '#libs/contracts';
import {
  connectServiceClient, describeWithHardware, GraphqlClient, missingHardware, runCommand, servicePids, startTestAwan, uniqueName, waitFor,
  type TestAwan, type TestServiceClient,
} from '#libs/testing';

interface Backup {
  id: string;
  status: string;
  sizeMb: number | null;
  scheduled: boolean;
  failureReason: string | null;
  instance: { id: string; status: string };
}
const BACKUP_FIELDS = 'id status sizeMb scheduled failureReason createdAt instance { id status }';

/**
 * Backups through the GraphQL API on the whole system (`npm start`'s launcher) with this machine's
 * agent: a deleted container comes back from its backup with its files, a backup whose stored file
 * was damaged is never restored, a schedule keeps its newest backups, another tenant sees nothing,
 * and an agent killed while it writes one leaves a backup that failed or one that restores.
 */
describeWithHardware('backups through the GraphQL API', missingHardware({ root: true, lxc: true }), () => {
  let awan: TestAwan;
  let admin: GraphqlClient;
  let customer: GraphqlClient;
  let stranger: GraphqlClient;
  /** compute asked directly, as ADMIN's operators' tools do: to run the backup schedules as of a given day. */
  let operator: TestServiceClient;
  let instancesDir: string;
  /** The region's backup store: npm start's agent keeps it in its data folder (BACKUP_STORE_DIR's default). */
  let storeDir: string;

  beforeAll(async () => {
    awan = await startTestAwan('backup_e2e');
    const api = new GraphqlClient(awan.url);
    admin = api.as(awan.adminKey);
    const account = async (name: string) => api.as((await admin.data(`mutation { createAccount(input: { name: "${name}", kind: CUSTOMER }) { apiKey { secret } } }`)).createAccount.apiKey.secret);
    customer = await account('Backup Customer');
    stranger = await account('Backup Stranger');
    operator = await connectServiceClient('backups-e2e', awan.natsUrl, awan.natsCredentials('gateway'));
    instancesDir = path.join(awan.dataDir, 'agent', 'instances');
    storeDir = path.join(awan.dataDir, 'backups');
  }, 240_000);

  afterAll(async () => {
    await operator?.close();
    await awan?.stop();
  }, 120_000);

  const statusOf = async (id: string) => (await customer.data(`{ instance(id: "${id}") { status } }`)).instance.status as string;
  const waitForStatus = (id: string, status: string, timeoutMs = 120_000) =>
    waitFor(async () => {
      const now = await statusOf(id);
      if (now === 'ERROR') throw new Error(`instance ${id} failed`);
      return now === status;
    }, timeoutMs, `instance ${id} to be ${status}`);
  const backupsOf = async (instanceId: string, client = customer) =>
    (await client.data<{ backups: { edges: { node: Backup }[] } }>(`{ backups(instanceId: "${instanceId}", first: 50) { edges { node { ${BACKUP_FIELDS} } } } }`)).backups.edges.map((e) => e.node);
  const backupById = async (id: string, instanceId: string) => (await backupsOf(instanceId)).find((b) => b.id === id);
  /** Waits until the backup is AVAILABLE (or `outcomes` says otherwise) and answers it. */
  const settled = (id: string, instanceId: string, outcomes = ['AVAILABLE'], timeoutMs = 120_000) =>
    waitFor(async () => {
      const found = await backupById(id, instanceId);
      if (found?.status === 'ERROR' && !outcomes.includes('ERROR')) throw new Error(`backup ${id} failed: ${found.failureReason}`);
      return found && outcomes.includes(found.status) ? found : undefined;
    }, timeoutMs, `backup ${id} to be ${outcomes.join(' or ')}`);
  /** Backs the instance up by hand and waits until the backup is AVAILABLE. */
  const backUp = async (instanceId: string): Promise<Backup> => {
    const { createBackup } = await customer.data<{ createBackup: Backup }>(`mutation { createBackup(instanceId: "${instanceId}") { ${BACKUP_FIELDS} } }`);
    expect(createBackup).toMatchObject({ status: 'CREATING', sizeMb: null, scheduled: false, instance: { id: instanceId } });
    return settled(createBackup.id, instanceId);
  };
  const create = async (name: string) => {
    const input = `{ name: "${name}", kind: CONTAINER, imageId: "dev-busybox-rootfs", planId: "ct-512m", regionId: "local", billingCycle: HOURLY }`;
    const { id } = (await customer.data(`mutation { createInstance(input: ${input}) { id } }`)).createInstance;
    await waitForStatus(id, 'RUNNING');
    return id as string;
  };
  const operate = async (mutation: string, id: string, status: string) => {
    await customer.data(`mutation { ${mutation}(id: "${id}") { id } }`);
    await waitForStatus(id, status);
  };
  const inContainer = (id: string, script: string) => runCommand('lxc-attach', ['-P', instancesDir, '-n', id, '--', '/bin/sh', '-c', script]);
  const lxcState = async (id: string) => (await runCommand('lxc-info', ['-P', instancesDir, '-n', id, '-s', '-H'])).trim();
  const historyOf = async (id: string) => {
    const { instance } = await customer.data(`{ instance(id: "${id}") { history(first: 100) { edges { node { type data } } } } }`);
    return instance.history.edges.map((e: { node: { type: string; data: string } }) => e.node) as { type: string; data: string }[];
  };
  const errorOf = async (client: GraphqlClient, query: string) => (await client.request(query)).errors?.[0];
  /** Whether the backup's compressed file in the store is what its SHA256SUMS says, as an operator checks it. */
  const matchesItsChecksum = async (backupId: string) => {
    const folder = path.join(storeDir, backupId);
    const [sha256, file] = (await readFile(path.join(folder, 'SHA256SUMS'), 'utf8')).trim().split(/\s+/);
    const hash = createHash('sha256');
    for await (const chunk of createReadStream(path.join(folder, file))) hash.update(chunk);
    return hash.digest('hex') === sha256;
  };

  it('brings a deleted container back from its backup as a new instance, with the file it held, and shows another tenant nothing', async () => {
    const original = uniqueName('bk-ct-');
    const id = await create(original);
    await inContainer(id, 'echo kept > /root/marker');
    const taken = await backUp(id);
    expect(taken.sizeMb).toBeGreaterThan(0);
    expect(await matchesItsChecksum(taken.id)).toBe(true);
    expect((await historyOf(id)).map((e) => e.type).filter((t) => t.includes('Backup') || t.includes('BackedUp'))).toEqual(['InstanceBackupRequested', 'InstanceBackedUp']);

    // Another tenant: the instance, the backup and their operations do not exist for it.
    expect((await stranger.data(`{ backups { totalCount } mine: backups(instanceId: "${id}") { totalCount } }`))).toEqual({ backups: { totalCount: 0 }, mine: { totalCount: 0 } });
    for (const mutation of [
      `createBackup(instanceId: "${id}") { id }`, `setBackupSchedule(instanceId: "${id}", schedule: { hourUtc: 1, keep: 1 }) { id }`,
      `restoreBackup(id: "${taken.id}", input: { name: "${uniqueName('theirs-')}" }) { id }`, `restoreBackup(id: "${taken.id}") { id }`, `deleteBackup(id: "${taken.id}") { id }`,
    ]) expect((await errorOf(stranger, `mutation { ${mutation} }`))?.extensions?.code).toBe('NOT_FOUND');

    // The instance goes; its backup stays, and still names it.
    await operate('deleteInstance', id, 'DELETED');
    expect(existsSync(path.join(instancesDir, id))).toBe(false);
    const { backups } = await customer.data(`{ backups { totalCount edges { node { ${BACKUP_FIELDS} } } } }`);
    expect(backups).toEqual({ totalCount: 1, edges: [{ node: { ...taken, createdAt: expect.any(String), instance: { id, status: 'DELETED' } } }] });
    // In place there is nothing to restore onto; a plan of another kind or a smaller one is refused, naming the field.
    expect((await errorOf(customer, `mutation { restoreBackup(id: "${taken.id}") { id } }`))?.extensions?.code).toBe('CONFLICT');
    expect(await errorOf(customer, `mutation { restoreBackup(id: "${taken.id}", input: { name: "${uniqueName('vm-')}", planId: "vm-512m" }) { id } }`))
      .toMatchObject({ extensions: { code: 'BAD_USER_INPUT', field: 'input.planId' } });

    const name = uniqueName('bk-back-');
    const { restoreBackup } = await customer.data(`mutation { restoreBackup(id: "${taken.id}", input: { name: "${name}" }) { id name kind plan { id } } }`);
    expect(restoreBackup).toMatchObject({ name, kind: 'CONTAINER', plan: { id: 'ct-512m' } });
    await waitForStatus(restoreBackup.id, 'RUNNING');
    expect((await inContainer(restoreBackup.id, 'cat /root/marker')).trim()).toBe('kept');
    expect((await historyOf(restoreBackup.id)).map((e) => e.type)).toContain('InstanceSeededFromBackup');
    // Restored, the backup is still there to restore again.
    expect(await backupById(taken.id, id)).toMatchObject({ status: 'AVAILABLE' });
    await operate('deleteInstance', restoreBackup.id, 'DELETED');

    // Its storage on the invoice, its instance gone: a line of its own, per GB-month, naming the instance it was of.
    const line = await waitFor(async () => {
      const { upcomingInvoice } = await customer.data('{ upcomingInvoice { lines { description resourceId resourceType sku unit unitPrice { amount } usage { state } } } }');
      return upcomingInvoice.lines.find((l: { sku: string; resourceId: string }) => l.sku === 'backup-storage' && l.resourceId === taken.id);
    }, 30_000, 'a backup-storage line on the upcoming invoice');
    expect(line).toMatchObject({ description: expect.stringContaining(original), resourceType: 'BACKUP', unit: 'GB-month', unitPrice: { amount: '0.02' }, usage: [{ state: 'STORED' }] });
  }, 300_000);

  it('refuses to restore a backup whose stored file was damaged: the backup is ERROR from then on, and the instance is as it was', async () => {
    const id = await create(uniqueName('bk-bad-'));
    await inContainer(id, 'echo backed-up > /root/marker');
    const taken = await backUp(id);
    await inContainer(id, 'echo since > /root/marker');
    await operate('stopInstance', id, 'STOPPED');

    // A few bytes in the middle of its compressed rootfs change in the store.
    const [file] = readdirSync(path.join(storeDir, taken.id)).filter((f) => f.endsWith('.zst'));
    const stored = path.join(storeDir, taken.id, file);
    const handle = await open(stored, 'r+');
    try {
      await handle.write(Buffer.from('damaged'), 0, 7, Math.floor((await stat(stored)).size / 2));
    } finally {
      await handle.close();
    }

    const { restoreBackup } = await customer.data(`mutation { restoreBackup(id: "${taken.id}") { id status } }`);
    expect(restoreBackup).toEqual({ id, status: 'RESTORING' });
    await waitForStatus(id, 'STOPPED');
    expect(await settled(taken.id, id, ['ERROR'])).toMatchObject({ status: 'ERROR', failureReason: expect.stringContaining('checksum mismatch') });
    const history = (await historyOf(id)).filter((e) => e.type.startsWith('BackupRestore'));
    expect(history.map((e) => e.type)).toEqual(['BackupRestoreRequested', 'BackupRestoreFailed']);
    await operate('startInstance', id, 'RUNNING');
    expect((await inContainer(id, 'cat /root/marker')).trim()).toBe('since');

    // Never restored again, in place or as a new instance.
    await operate('stopInstance', id, 'STOPPED');
    for (const input of ['', `, input: { name: "${uniqueName('bk-no-')}" }`]) {
      expect(await errorOf(customer, `mutation { restoreBackup(id: "${taken.id}"${input}) { id } }`))
        .toMatchObject({ extensions: { code: 'CONFLICT' }, message: expect.stringContaining('only an AVAILABLE backup is restored') });
    }
    // Deleted, its files go from the store.
    expect((await customer.data(`mutation { deleteBackup(id: "${taken.id}") { id status } }`)).deleteBackup).toEqual({ id: taken.id, status: 'DELETING' });
    await waitFor(async () => !(await backupById(taken.id, id)), 60_000, 'the backup to be deleted');
    expect(existsSync(path.join(storeDir, taken.id))).toBe(false);
    await operate('deleteInstance', id, 'DELETED');
  }, 300_000);

  it('keeps the newest two scheduled backups when a schedule of keep 2 has run on three days', async () => {
    const id = await create(uniqueName('bk-daily-'));
    // An hour half a day away: compute's own minutely run finds nothing due while the test runs.
    const hourUtc = (new Date().getUTCHours() + 12) % 24;
    const { setBackupSchedule } = await customer.data(`mutation { setBackupSchedule(instanceId: "${id}", schedule: { hourUtc: ${hourUtc}, keep: 2 }) { id backupSchedule { hourUtc keep } } }`);
    expect(setBackupSchedule).toEqual({ id, backupSchedule: { hourUtc, keep: 2 } });
    const invalid = await errorOf(customer, `mutation { setBackupSchedule(instanceId: "${id}", schedule: { hourUtc: 24, keep: 2 }) { id } }`);
    expect(invalid).toMatchObject({ extensions: { code: 'BAD_USER_INPUT', field: 'schedule.hourUtc' } });

    const today = new Date();
    const started: string[] = [];
    for (let day = 1; day <= 3; day++) {
      const asOf = new Date(Date.UTC(today.getUTCFullYear(), today.getUTCMonth(), today.getUTCDate() + day, hourUtc, 30)).toISOString();
      const run = await operator.client.call('compute.backup.schedule.run', { accountIds: PLATFORM_SCOPE, asOf });
      expect(run.started).toHaveLength(1);
      // Once a day: run again as of the same day, nothing more starts.
      expect(await operator.client.call('compute.backup.schedule.run', { accountIds: PLATFORM_SCOPE, asOf })).toEqual({ started: [] });
      expect(await settled(run.started[0], id)).toMatchObject({ scheduled: true });
      started.push(run.started[0]);
    }

    const kept = await waitFor(async () => {
      const { instance } = await customer.data(`{ instance(id: "${id}") { backups { totalCount edges { node { id scheduled status } } } } }`);
      return instance.backups.totalCount === 2 ? instance.backups.edges.map((e: { node: Backup }) => e.node) : undefined;
    }, 60_000, 'the oldest scheduled backup to be deleted');
    expect(kept).toEqual([started[2], started[1]].map((backupId) => ({ id: backupId, scheduled: true, status: 'AVAILABLE' })));
    expect(existsSync(path.join(storeDir, started[0]))).toBe(false);

    // No schedule from now on; what it took stays.
    const { setBackupSchedule: cleared } = await customer.data(`mutation { setBackupSchedule(instanceId: "${id}", schedule: null) { backupSchedule { keep } backups { totalCount } } }`);
    expect(cleared).toEqual({ backupSchedule: null, backups: { totalCount: 2 } });
    await operate('deleteInstance', id, 'DELETED');
  }, 300_000);

  it('ends a backup whose agent was killed mid-way AVAILABLE or ERROR, and one that ended AVAILABLE restores', async () => {
    const id = await create(uniqueName('bk-kill-'));
    // Enough to take a few seconds to compress and hash: the agent is killed while it writes.
    await inContainer(id, 'echo before-the-kill > /root/marker && dd if=/dev/urandom of=/root/ballast bs=1M count=512 2>/dev/null');
    const agent = servicePids(awan.launcher.pid).get('host-agent')!;
    const { createBackup } = await customer.data(`mutation { createBackup(instanceId: "${id}") { id } }`);
    const partial = path.join(storeDir, '.partial');
    await waitFor(() => existsSync(partial) && readdirSync(partial).some((entry) => entry.startsWith(createBackup.id)), 30_000, 'the agent to write the backup');
    process.kill(agent, 'SIGKILL');
    await waitFor(() => (servicePids(awan.launcher.pid).get('host-agent') ?? agent) !== agent, 60_000, 'the supervisor to restart the agent');

    const outcome = await settled(createBackup.id, id, ['AVAILABLE', 'ERROR'], 240_000);
    // Either way the container runs on, not left frozen, and the store holds no half-written backup.
    await waitForStatus(id, 'RUNNING');
    expect(await lxcState(id)).toBe('RUNNING');
    expect((await inContainer(id, 'cat /root/marker')).trim()).toBe('before-the-kill');
    await waitFor(() => !readdirSync(partial).some((entry) => entry.startsWith(createBackup.id)), 30_000, 'what the killed agent wrote to be swept');
    if (outcome.status === 'ERROR') {
      expect(outcome.failureReason).toMatch(/\S/);
      expect(existsSync(path.join(storeDir, createBackup.id))).toBe(false);
    } else {
      expect(await matchesItsChecksum(createBackup.id)).toBe(true);
      const { restoreBackup } = await customer.data(`mutation { restoreBackup(id: "${createBackup.id}", input: { name: "${uniqueName('bk-kept-')}" }) { id } }`);
      await waitForStatus(restoreBackup.id, 'RUNNING');
      expect((await inContainer(restoreBackup.id, 'cat /root/marker; wc -c < /root/ballast')).trim().split(/\s+/)).toEqual(['before-the-kill', String(512 * 1024 ** 2)]);
      await operate('deleteInstance', restoreBackup.id, 'DELETED');
    }
    console.log(`a backup whose agent was killed mid-way ended ${outcome.status}${outcome.failureReason ? `: ${outcome.failureReason}` : ''}`);
    await operate('deleteInstance', id, 'DELETED');
  }, 600_000);
});
