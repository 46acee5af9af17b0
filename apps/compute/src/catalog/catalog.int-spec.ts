import { randomUUID } from 'node:crypto';
import type { EventMetadata, HostHeartbeat } from '#libs/contracts';
import { eventStoreMigrations, EventStore, handleCommand, migrate, rebuildProjection } from '#libs/event-store';
import { migrateEventStore } from '#libs/event-sourcing';
import { connectServiceClient, createTestDatabase, uniqueName, type TestDatabase, type TestServiceClient } from '#libs/testing';
import { computeEventStore } from '../compute.event-store.js';
import { Hosts } from '../hosts/hosts.js';
import { CatalogRepository } from './catalog.repository.js';
import { Catalog } from './catalog.js';
import { imageDecider, imageStreamId } from './image.decider.js';
import { ImageImporter } from './image-importer.js';

const admin: EventMetadata = { correlationId: 'catalog-test', causationId: null, actor: { kind: 'account', accountId: 'platform-account', role: 'ADMIN' } };
const eur = { currency: 'EUR', hourlyPrice: '0.05', monthlyPrice: '30.00' };

function heartbeat(hostId: string, regionId: string): HostHeartbeat {
  return {
    hostId, name: hostId, regionId, kinds: ['VM', 'CONTAINER'], capacity: { vcpus: 8, memoryMb: 16384, diskGb: 500 },
    allocated: { vcpus: 0, memoryMb: 0, diskGb: 0 }, instances: [], fenceTimeoutMs: 6000, sentAt: new Date().toISOString(),
  };
}

describe('the catalog as events, on PostgreSQL', () => {
  let db: TestDatabase;
  let store: EventStore;
  let hosts: Hosts;
  let catalog: Catalog;
  /** What customers and the gateway read, all of it. */
  const everything = async () => ({ regions: await catalog.regions(), plans: await catalog.plans(undefined, true), images: await catalog.images(undefined, true) });

  async function open(prepare?: (db: TestDatabase) => Promise<void>) {
    db = await createTestDatabase('catalog');
    if (prepare) await prepare(db);
    await migrateEventStore(db.pool, { ...computeEventStore, service: db.schema });
    store = new EventStore(db.pool, db.schema, computeEventStore.projections);
    hosts = new Hosts(db.pool, store);
    catalog = new Catalog(store, new CatalogRepository(db.pool), hosts);
  }
  afterEach(() => db.close());

  it('starts from the seed recorded as events, and a rebuild of the projection gives the same catalog', async () => {
    await open();
    expect(await catalog.regions()).toEqual([{ id: 'local', name: 'Local', dnsZone: 'awan.test' }]);
    for (const kind of ['VM', 'CONTAINER'] as const) {
      const plans = await catalog.plans(kind);
      expect(plans.map((p) => p.memoryMb)).toEqual([512, 1024, 2048, 4096, 8192]);
      expect(plans.every((p) => p.kind === kind && !p.retired && p.vcpus >= 1 && p.diskGb >= 10)).toBe(true);
    }
    expect((await catalog.images()).map((i) => [i.id, i.kind, i.status])).toEqual([
      ['dev-busybox-kernel', 'VM', 'AVAILABLE'], ['dev-blank-disk', 'VM', 'AVAILABLE'], ['dev-busybox-rootfs', 'CONTAINER', 'AVAILABLE'],
    ]);
    // Development images are built by each agent: found wherever the instance is.
    expect(await catalog.imageLocation('dev-busybox-rootfs', 'any-region')).toEqual({ kind: 'CONTAINER', location: 'dev:busybox-rootfs' });

    expect((await store.readStream('region-local')).map((e) => [e.type, e.data])).toEqual([['RegionCreated', { regionId: 'local', name: 'Local', dnsZone: 'awan.test' }]]);
    expect((await store.readStream('plan-vm-1g')).map((e) => [e.type, e.data])).toEqual([
      ['PlanRecorded', { planId: 'vm-1g', name: 'VM 1 GB', kind: 'VM', vcpus: 1, memoryMb: 1024, diskGb: 25 }],
    ]);
    expect((await store.readStream('image-dev-blank-disk')).map((e) => e.type)).toEqual(['ImageRecorded']);

    const before = await everything();
    expect(await rebuildProjection(store, 'catalog')).toBe(1 + 10 + 3);
    expect(await everything()).toEqual(before);
  });

  it("records an installation's catalog as it was, operators' additions and retirements included", async () => {
    await open(async (old) => {
      // The schema before the catalog became events, with what an operator did over NATS then.
      await migrate(old.pool, old.schema, [...eventStoreMigrations, ...computeEventStore.migrations.filter((m) => m.id < '0104')]);
      await old.pool.query(`INSERT INTO plans (id, name, kind, vcpus, memory_mb, disk_gb, active) VALUES ('vm-old', 'Old', 'VM', 2, 2048, 40, false)`);
      await old.pool.query(`INSERT INTO images (id, name, os, version, kind, location, active) VALUES ('debian-11', 'Debian 11', 'debian', '11', 'VM', '/srv/images/debian-11.qcow2', false)`);
      await old.pool.query(`INSERT INTO regions (id, name, dns_zone) VALUES ('fra1', 'Frankfurt 1', 'cloud.example.com')`);
    });
    expect((await store.readStream('plan-vm-old')).map((e) => e.type)).toEqual(['PlanRecorded', 'PlanRetired']);
    expect((await store.readStream('image-debian-11')).map((e) => e.type)).toEqual(['ImageRecorded', 'ImageRetired']);
    expect(await catalog.plan('vm-old')).toMatchObject({ retired: true });
    expect(await catalog.imageLocation('debian-11', 'fra1')).toEqual({ kind: 'VM', location: '/srv/images/debian-11.qcow2' });
    const before = await everything();
    expect(before.regions.map((r) => r.id)).toEqual(['fra1', 'local']);
    expect(before.images.find((i) => i.id === 'debian-11')).toMatchObject({ status: 'RETIRED' });
    await rebuildProjection(store, 'catalog');
    expect(await everything()).toEqual(before);
  });

  it('creates regions and saves and retires plans through their events', async () => {
    await open();
    expect(await catalog.createRegion({ id: 'fra1', name: 'Frankfurt 1', dnsZone: 'Cloud.Example.com.' }, admin)).toEqual({ id: 'fra1', name: 'Frankfurt 1', dnsZone: 'cloud.example.com' });
    await expect(catalog.createRegion({ id: 'fra1', name: 'Again', dnsZone: 'example.com' }, admin)).rejects.toMatchObject({ code: 'CONFLICT' });
    await expect(catalog.createRegion({ id: 'fra.2', name: 'x', dnsZone: 'example.com' }, admin)).rejects.toMatchObject({ code: 'BAD_USER_INPUT', field: 'input.id' });

    const plan = { id: 'vm-16g', name: 'VM 16 GB', kind: 'VM' as const, vcpus: 8, memoryMb: 16384, diskGb: 320, prices: [eur] };
    expect(await catalog.savePlan(plan, admin)).toEqual({ id: 'vm-16g', name: 'VM 16 GB', kind: 'VM', vcpus: 8, memoryMb: 16384, diskGb: 320, retired: false, prices: [eur] });
    expect(await catalog.savePlan({ ...plan, name: 'VM 16 GB (large)' }, admin)).toMatchObject({ name: 'VM 16 GB (large)' });
    await expect(catalog.savePlan({ ...plan, memoryMb: 32768 }, admin)).rejects.toMatchObject({ code: 'CONFLICT' });
    await expect(catalog.savePlan({ ...plan, id: 'x', prices: [{ ...eur, currency: 'QQQ' }] }, admin)).rejects.toMatchObject({ field: 'input.prices[0].currency' });
    const events = await store.readStream('plan-vm-16g');
    expect(events.map((e) => e.type)).toEqual(['PlanSaved', 'PlanSaved']);
    expect(events[0].metadata.actor).toEqual(admin.actor);

    expect(await catalog.retirePlan('vm-16g', admin)).toMatchObject({ id: 'vm-16g', retired: true });
    expect((await catalog.plans('VM')).map((p) => p.id)).not.toContain('vm-16g');
    expect((await catalog.plans('VM', true)).map((p) => p.id)).toContain('vm-16g'); // instances made with it still find it
    await expect(catalog.retirePlan('nope', admin)).rejects.toMatchObject({ code: 'NOT_FOUND' });
  });

  it('registers an image for the regions with a host up, offers it once imported, and holds creates to its rules', async () => {
    await open();
    await expect(catalog.registerImage({ id: 'alpine', name: 'Alpine', os: 'alpine', version: '3', kind: 'CONTAINER', source: 'alpine.tar', sha256: 'a'.repeat(64) }, admin))
      .rejects.toMatchObject({ code: 'CONFLICT', message: expect.stringContaining('no region has an UP host') });
    await catalog.createRegion({ id: 'fra1', name: 'Frankfurt 1', dnsZone: 'example.com' }, admin);
    await hosts.recordHeartbeat(heartbeat('node-1', 'local'));

    const image = { id: 'debian-12', name: 'Debian 12', os: 'debian', version: '12', kind: 'VM' as const, source: 'https://images.example.com/d.qcow2', sha256: 'b'.repeat(64) };
    expect(await catalog.registerImage(image, admin)).toEqual({
      id: 'debian-12', name: 'Debian 12', os: 'debian', version: '12', kind: 'VM', status: 'IMPORTING', sizeMb: null, virtualSizeMb: null, failureReason: null,
    });
    expect((await store.readStream('image-debian-12'))[0].data).toMatchObject({ regionIds: ['local'] });
    expect((await catalog.images('VM')).map((i) => i.id)).not.toContain('debian-12');
    const vm = { kind: 'VM' as const, regionId: 'local', planId: 'vm-512m', imageId: 'debian-12' };
    await expect(catalog.choicesFor(vm)).rejects.toMatchObject({ field: 'input.imageId', message: expect.stringContaining('IMPORTING') });

    await handleCommand(store, imageStreamId('debian-12'), imageDecider, {
      type: 'RecordImport', imageId: 'debian-12', regionId: 'local', hostId: 'node-1', location: '/storage/images/catalog/debian-12.qcow2', sizeMb: 310, virtualSizeMb: 20 * 1024,
    }, admin);
    expect(await catalog.images('VM')).toContainEqual(expect.objectContaining({ id: 'debian-12', status: 'AVAILABLE', sizeMb: 310, virtualSizeMb: 20480 }));
    expect(await catalog.imageLocation('debian-12', 'local')).toEqual({ kind: 'VM', location: '/storage/images/catalog/debian-12.qcow2' });
    expect(await catalog.imageLocation('debian-12', 'fra1')).toBeNull();

    // A 20 GB disk image needs a plan whose disk holds it: vm-512m has 10 GB, vm-1g 25 GB.
    await expect(catalog.choicesFor(vm)).rejects.toMatchObject({ code: 'BAD_USER_INPUT', field: 'input.planId', message: expect.stringContaining('cannot hold image debian-12') });
    expect(await catalog.choicesFor({ ...vm, planId: 'vm-1g' })).toMatchObject({ id: 'vm-1g' });
    await expect(catalog.choicesFor({ ...vm, planId: 'vm-1g', regionId: 'fra1' })).rejects.toMatchObject({ field: 'input.imageId', message: expect.stringContaining('not imported into region fra1') });
    await expect(catalog.choicesFor({ ...vm, planId: 'ct-1g' })).rejects.toMatchObject({ field: 'input.planId' });

    await catalog.retireImage('debian-12', admin);
    await expect(catalog.choicesFor({ ...vm, planId: 'vm-1g' })).rejects.toMatchObject({ field: 'input.imageId', message: expect.stringContaining('RETIRED') });
    expect(await catalog.imageLocation('debian-12', 'local')).not.toBeNull(); // its instances keep it
  });

  describe('importing through a host agent', () => {
    let nats: TestServiceClient;
    beforeAll(async () => {
      nats = await connectServiceClient('catalog-test');
    });
    afterAll(() => nats.close());

    it('asks again while the region has no agent answering, and after the time allowed records the image unreachable', async () => {
      await open();
      // A host id no agent answers for: the import waits as it would for an agent that is away.
      const hostId = uniqueName('away-');
      await hosts.recordHeartbeat(heartbeat(hostId, 'local'));
      const registered = await catalog.registerImage({ id: 'away', name: 'Away', os: 'none', version: '0', kind: 'VM', source: 'x.qcow2', sha256: 'c'.repeat(64) }, admin);
      expect(registered.status).toBe('IMPORTING');
      const [event] = await store.readStream(imageStreamId('away'));
      const delivered = { ...event, metadata: { ...event.metadata, correlationId: randomUUID() } };

      const patient = new ImageImporter(store, hosts, nats.client, { agentTimeoutMs: 1000, giveUpAfterMs: 60_000 });
      await expect(patient.handle(delivered)).rejects.toMatchObject({ code: 'UNAVAILABLE' });
      expect((await catalog.images(undefined, true)).find((i) => i.id === 'away')?.status).toBe('IMPORTING');

      const overdue = new ImageImporter(store, hosts, nats.client, { agentTimeoutMs: 1000, giveUpAfterMs: 0 });
      await overdue.handle(delivered);
      expect((await catalog.images(undefined, true)).find((i) => i.id === 'away')).toMatchObject({
        status: 'ERROR', failureReason: `unreachable: host ${hostId} did not answer (region local)`,
      });
      // Delivered again, it has nothing left to do.
      await overdue.handle(delivered);
      expect((await store.readStream(imageStreamId('away'))).map((e) => e.type)).toEqual(['ImageRegistered', 'ImageImportFailed']);
    });
  });
});
