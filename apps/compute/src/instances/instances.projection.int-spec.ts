import { randomUUID } from 'node:crypto';
import { EventStore, fold, handleCommand, readState, rebuildProjection, withTransaction } from '#libs/event-store';
import { migrateEventStore } from '#libs/event-sourcing';
import { createTestDatabase, type TestDatabase } from '#libs/testing';
import { computeEventStore } from '../compute.event-store.js';
import { createEvents, metadata, runningInstance } from '../../test/instance-streams.js';
import { instanceDecider, type InstanceCommand } from './instance.decider.js';
import { InstancesRepository } from './instances.repository.js';
import { Quotas } from './quotas.js';

describe('the instances projection on PostgreSQL', () => {
  let db: TestDatabase;
  let store: EventStore;

  const row = async (id: string) => (await db.pool.query(
    `SELECT account_id, name, kind, image_id, plan_id, region_id, billing_cycle, status, host_id, failure_reason, vcpus, memory_mb, disk_gb,
            state, fqdn, status_since = created_at AS "sinceCreated", updated_at = created_at AS "updatedAtCreation"
     FROM instances WHERE id = $1`,
    [id],
  )).rows[0];

  const rowTimes = async (id: string) => (await db.pool.query(
    'SELECT status, failure_reason, status_since, updated_at FROM instances WHERE id = $1', [id],
  )).rows[0];

  beforeAll(async () => {
    db = await createTestDatabase('compute');
    await migrateEventStore(db.pool, { ...computeEventStore, service: db.schema });
    await db.pool.query(`INSERT INTO regions (id, name, dns_zone) VALUES ('proj', 'Projection test', 'awan.test')`);
    await db.pool.query(`INSERT INTO plans (id, name, kind, vcpus, memory_mb, disk_gb) VALUES ('proj-small', 'Small', 'CONTAINER', 1, 512, 5), ('proj-large', 'Large', 'CONTAINER', 4, 2048, 5)`);
    store = new EventStore(db.pool, db.schema, computeEventStore.projections);
  });
  afterAll(() => db.close());

  it("writes a batch of creates' rows at once as it writes one create's event by event", async () => {
    const alone = createEvents('alone');
    await store.append(alone.streamId, alone.events, { expectedVersion: 0, metadata });
    const batch = [createEvents('first'), createEvents('second')];
    await withTransaction(db.pool, (tx) => store.appendToStreams(batch.map((c) => ({ streamId: c.streamId, events: c.events, expectedVersion: 0 })), { metadata, tx }));

    const written = await row(alone.id);
    expect(written).toMatchObject({
      account_id: 'acme', name: 'alone', status: 'PROVISIONING', host_id: 'node-1', vcpus: 1, memory_mb: 512, disk_gb: 5, fqdn: 'alone.proj.awan.test',
      state: expect.objectContaining({ version: 2, hostId: 'node-1' }),
    });
    for (const [i, create] of batch.entries()) {
      const name = i === 0 ? 'first' : 'second';
      expect(await row(create.id)).toEqual({ ...written, name, fqdn: `${name}.proj.awan.test` });
    }
  });

  it("keeps each instance's state as its stream folds it, which its commands decide from", async () => {
    const { id, streamId, decide, complete } = await runningInstance(store, 'kept', '198.51.100.7');
    for (let round = 0; round < 30; round++) {
      await decide({ type: 'StopInstance', force: round % 2 === 0 });
      await complete();
      await decide({ type: 'StartInstance' });
      await complete();
    }
    await decide({ type: 'DeleteInstance' });
    await complete();

    const history = await store.readStream(streamId);
    expect(history).toHaveLength(126);
    expect(history.at(-1)!.type).toBe('InstanceDeleted');
    // What the commands decided from, read from the row, is the stream folded.
    expect(await readState(store, streamId, instanceDecider)).toEqual({ state: fold(instanceDecider, history as never), version: 126 });
    expect((await row(id)).state).toEqual(fold(instanceDecider, history as never));
  });

  it("writes each command's row as a rebuild from the events writes it: when its status began, and why it failed while it is in ERROR", async () => {
    const { id, streamId, events } = createEvents('failing');
    await store.append(streamId, events, { expectedVersion: 0, metadata });
    const decide = (command: InstanceCommand) => handleCommand(store, streamId, instanceDecider, command, metadata);
    await decide({ type: 'FailAddressing', reason: 'no IPv4 address left in region proj' });
    const failed = await rowTimes(id);
    await new Promise((resolve) => setTimeout(resolve, 5));
    // An event that leaves the status as it was keeps its start and its reason.
    await decide({ type: 'RecordFirewallAttached', firewallId: randomUUID(), name: 'web' });
    const kept = await rowTimes(id);
    expect(kept).toMatchObject({ status: 'ERROR', failure_reason: 'no addresses: no IPv4 address left in region proj', status_since: failed.status_since });
    expect(kept.updated_at).not.toEqual(failed.updated_at);
    await decide({ type: 'DeleteInstance' });
    const deleting = await rowTimes(id);
    expect(deleting).toMatchObject({ status: 'DELETING', failure_reason: null });
    expect(deleting.status_since).not.toEqual(failed.status_since);

    const commanded = (await db.pool.query('SELECT * FROM instances ORDER BY id')).rows;
    await rebuildProjection(store, 'instances');
    expect((await db.pool.query('SELECT * FROM instances ORDER BY id')).rows).toEqual(commanded);
  });

  it('counts an instance being resized at the larger of its two plans against its quota, until the resize is done', async () => {
    const { accountId: account, decide, complete } = await runningInstance(store, 'growing', '198.51.100.8');
    const quotas = new Quotas(db.pool, { instances: 100, vcpus: 100, memoryMb: 100_000 });
    const usage = async () => (await quotas.holdingsOf(account)).used;
    const before = await usage();
    await decide({ type: 'ResizeInstance', toPlanId: 'proj-large', toKind: 'CONTAINER' });
    // Resizing: 1 vCPU and 512 MB by its plan still, 4 and 2048 by the one it goes to.
    expect(await usage()).toEqual({ instances: before.instances, vcpus: before.vcpus + 3, memoryMb: before.memoryMb + 1536 });
    await complete();
    expect(await usage()).toEqual({ instances: before.instances, vcpus: before.vcpus + 3, memoryMb: before.memoryMb + 1536 });
    // Shrunk back: its new plan's size as soon as it is asked, the larger being the one it has.
    await decide({ type: 'ResizeInstance', toPlanId: 'proj-small', toKind: 'CONTAINER' });
    expect(await usage()).toEqual({ instances: before.instances, vcpus: before.vcpus + 3, memoryMb: before.memoryMb + 1536 });
    await complete();
    expect(await usage()).toEqual(before);
  });

  it("keeps a batch's boot configs, each its own", async () => {
    const repository = new InstancesRepository(db.pool);
    const [withKeys, without] = [createEvents('keys'), createEvents('plain')];
    await withTransaction(db.pool, async (tx) => {
      await repository.saveBootConfigs(tx, [
        { instanceId: withKeys.id, boot: { sshKeys: ['ssh-ed25519 AAAAC3Nza a@b', 'ssh-ed25519 AAAAC3Nzb c@d'], userData: "#cloud-config\nruncmd: ['echo \"hi\"']\n" } },
        { instanceId: without.id, boot: { sshKeys: [], userData: null } },
      ]);
      await store.appendToStreams([withKeys, without].map((c) => ({ streamId: c.streamId, events: c.events, expectedVersion: 0 })), { metadata, tx });
    });
    expect(await repository.creationOf(withKeys.id)).toMatchObject({
      sshKeys: ['ssh-ed25519 AAAAC3Nza a@b', 'ssh-ed25519 AAAAC3Nzb c@d'], userData: "#cloud-config\nruncmd: ['echo \"hi\"']\n",
    });
    expect(await repository.creationOf(without.id)).toMatchObject({ sshKeys: [], userData: null });
    expect((await repository.findAll([withKeys.id, without.id, randomUUID()])).map((view) => view.name).sort()).toEqual(['keys', 'plain']);
  });
});
