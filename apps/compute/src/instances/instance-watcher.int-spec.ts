import { randomUUID } from 'node:crypto';
import { EventStore, readState, withTransaction } from '#libs/event-store';
import { migrateEventStore } from '#libs/event-sourcing';
import { createTestDatabase, type TestDatabase } from '#libs/testing';
import { computeEventStore } from '../compute.event-store.js';
import { Hosts } from '../hosts/hosts.js';
import { Scheduler } from '../scheduler/scheduler.js';
import { metadata, runningInstance } from '../../test/instance-streams.js';
import { instanceDecider } from './instance.decider.js';
import { InstanceProvisioner } from './instance-provisioner.js';
import { InstanceWatcher } from './instance-watcher.js';
import { InstancesRepository } from './instances.repository.js';

const container1g = { regionId: 'local', kind: 'CONTAINER' as const, vcpus: 1, memoryMb: 1024, diskGb: 25 };

describe('the reservation sweep', () => {
  let db: TestDatabase;
  let scheduler: Scheduler;
  let watcher: InstanceWatcher;
  let position = 0;

  const reserve = async (instanceId: string, reservedAgo = '0 seconds') => {
    await withTransaction(db.pool, (tx) => scheduler.reserve(tx, instanceId, container1g));
    await db.pool.query(`UPDATE host_reservations SET reserved_at = now() - $2::interval WHERE instance_id = $1`, [instanceId, reservedAgo]);
  };
  /** An instance's row as the projection writes it, with the status and since when. */
  const instance = (id: string, status: string, since = '0 seconds') => db.pool.query(
    `INSERT INTO instances (id, position, account_id, name, kind, image_id, plan_id, region_id, billing_cycle, host_id, status, status_since,
       vcpus, memory_mb, disk_gb, state, created_at, updated_at, fqdn)
     VALUES ($1::uuid, $2, 'acc', $1::text, 'CONTAINER', 'img', 'ct-1g', 'local', 'HOURLY', 'node-1', $3, now() - $4::interval, 1, 1024, 25, '{}', now(), now(), $1::text || '.local.awan.test')
     ON CONFLICT (id) DO UPDATE SET status = $3, status_since = now() - $4::interval`,
    [id, ++position, status, since],
  );
  const reservedMemory = async () => (await db.pool.query<{ mb: number }>('SELECT reserved_memory_mb AS mb FROM host_resources')).rows[0].mb;

  beforeEach(async () => {
    db = await createTestDatabase('compute');
    await migrateEventStore(db.pool, { ...computeEventStore, service: db.schema });
    const store = new EventStore(db.pool, db.schema, computeEventStore.projections);
    await new Hosts(db.pool, store).recordHeartbeat({
      hostId: 'node-1', name: 'node-1', regionId: 'local', kinds: ['CONTAINER'], capacity: { vcpus: 8, memoryMb: 16384, diskGb: 500 },
      allocated: { vcpus: 0, memoryMb: 0, diskGb: 0 }, instances: [], fenceTimeoutMs: 6000, sentAt: new Date().toISOString(),
    });
    scheduler = new Scheduler(db.pool);
    watcher = new InstanceWatcher(db.pool, store, scheduler, {});
  });
  afterEach(() => db.close());

  it('gives back what no live instance holds, however old, and keeps the rest', async () => {
    const [running, deleted, orphan, fresh] = [randomUUID(), randomUUID(), randomUUID(), randomUUID()];
    await reserve(running, '2 hours');
    await instance(running, 'RUNNING', '2 hours');
    await reserve(deleted, '2 hours');
    await instance(deleted, 'DELETED', '1 hour');
    await reserve(orphan, '1 hour'); // its create never committed
    await reserve(fresh); // its create may still commit

    expect((await watcher.sweepReservations()).sort()).toEqual([deleted, orphan].sort());
    expect(await reservedMemory()).toBe(2048);
    expect(await watcher.sweepReservations()).toEqual([]);
  });

  it('then looks at what changed since: an instance deleted, a create that never committed', async () => {
    const [running, deleting, orphan] = [randomUUID(), randomUUID(), randomUUID()];
    await reserve(running, '2 hours');
    await instance(running, 'RUNNING', '2 hours');
    await reserve(deleting, '2 hours');
    await instance(deleting, 'DELETING');
    await reserve(orphan, '1 minute');
    expect(await watcher.sweepReservations()).toEqual([]);

    await instance(deleting, 'DELETED');
    expect(await watcher.sweepReservations()).toEqual([deleting]);
    await db.pool.query(`UPDATE host_reservations SET reserved_at = reserved_at - interval '5 minutes' WHERE instance_id = $1`, [orphan]);
    expect(await watcher.sweepReservations()).toEqual([orphan]);
    expect(await reservedMemory()).toBe(1024);
  });
});

describe('a migration that times out', () => {
  let db: TestDatabase;

  beforeEach(async () => {
    db = await createTestDatabase('compute');
    await migrateEventStore(db.pool, { ...computeEventStore, service: db.schema });
    await db.pool.query(`INSERT INTO regions (id, name, dns_zone) VALUES ('proj', 'Watcher test', 'awan.test')`);
    await db.pool.query(`INSERT INTO plans (id, name, kind, vcpus, memory_mb, disk_gb) VALUES ('proj-small', 'Small', 'CONTAINER', 1, 512, 5)`);
  });
  afterEach(() => db.close());

  /** A RUNNING instance on node-1 whose ADMIN move to node-2 timed out, its attempt under way; what it was asked as. */
  async function timedOutMove() {
    const store = new EventStore(db.pool, db.schema, computeEventStore.projections);
    const hosts = new Hosts(db.pool, store);
    for (const hostId of ['node-1', 'node-2']) {
      await hosts.recordHeartbeat({
        hostId, name: hostId, regionId: 'proj', kinds: ['CONTAINER'], capacity: { vcpus: 8, memoryMb: 16384, diskGb: 500 },
        allocated: { vcpus: 0, memoryMb: 0, diskGb: 0 }, instances: [], fenceTimeoutMs: 6000, sentAt: new Date().toISOString(),
      });
    }
    const scheduler = new Scheduler(db.pool);
    const placement = { regionId: 'proj', kind: 'CONTAINER' as const, vcpus: 1, memoryMb: 512, diskGb: 5 };
    const { id, streamId, decide } = await runningInstance(store, 'moving', '198.51.100.9');
    await scheduler.restore(id, 'node-1', placement);
    await decide({ type: 'MigrateInstance', toHostId: 'node-2', reason: 'admin' });
    const requestVersion = (await readState(store, streamId, instanceDecider)).state.operation!.version;
    expect(await scheduler.move(id, placement, { from: 'node-1', to: 'node-2' })).toBe('node-2'); // its target's share taken, as the provisioner does

    const watcher = new InstanceWatcher(db.pool, store, scheduler, { MIGRATING: 0 });
    expect(await watcher.timeOutStuck()).toEqual([id]);
    return { id, store, scheduler, requestVersion };
  }

  const placed = async (id: string) => ({
    instance: (await db.pool.query('SELECT status, host_id FROM instances WHERE id = $1', [id])).rows[0],
    reservations: (await db.pool.query('SELECT host_id FROM host_reservations WHERE instance_id = $1', [id])).rows,
    reserved: (await db.pool.query('SELECT host_id, reserved_memory_mb FROM host_resources ORDER BY host_id')).rows,
  });

  it('leaves the instance, failed, on the host it was on, and its reservation there too, not on the target', async () => {
    const { id } = await timedOutMove();
    expect(await placed(id)).toEqual({
      instance: { status: 'ERROR', host_id: 'node-1' },
      reservations: [{ host_id: 'node-1' }],
      reserved: [{ host_id: 'node-1', reserved_memory_mb: 512 }, { host_id: 'node-2', reserved_memory_mb: 0 }],
    });
  });

  it('records the move all the same when its attempt ends after the timeout, and the reservation follows it', async () => {
    const { id, store, scheduler, requestVersion } = await timedOutMove();
    // Only what recording an answer uses: the agents, the catalog and network are not asked.
    const unused = undefined as never;
    const provisioner = new InstanceProvisioner(db.pool, store, new InstancesRepository(db.pool), unused, scheduler, unused, unused, unused, unused);
    await provisioner.recordMigration(id, requestVersion, 'node-2', metadata);
    await provisioner.recordMigration(id, requestVersion, 'node-2', metadata); // answered again: nothing more
    expect(await placed(id)).toEqual({
      instance: { status: 'RUNNING', host_id: 'node-2' },
      reservations: [{ host_id: 'node-2' }],
      reserved: [{ host_id: 'node-1', reserved_memory_mb: 0 }, { host_id: 'node-2', reserved_memory_mb: 512 }],
    });
  });
});
