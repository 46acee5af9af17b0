import { migrateEventStore } from '#libs/event-sourcing';
import { createTestDatabase, type TestDatabase } from '#libs/testing';
import { computeEventStore } from '../compute.event-store.js';
import { Catalog } from './catalog.js';

describe('the catalog', () => {
  let db: TestDatabase;
  let catalog: Catalog;

  beforeAll(async () => {
    db = await createTestDatabase('catalog');
    await migrateEventStore(db.pool, { ...computeEventStore, service: db.schema });
    catalog = new Catalog(db.pool);
  });
  afterAll(() => db.close());

  it('is seeded with a region, plans from 512 MB to 8 GB for both kinds, and the locally built images', async () => {
    expect(await catalog.regions()).toEqual([{ id: 'local', name: 'Local', dnsZone: 'awan.test' }]);
    for (const kind of ['VM', 'CONTAINER'] as const) {
      const plans = await catalog.plans(kind);
      expect(plans.map((p) => p.memoryMb)).toEqual([512, 1024, 2048, 4096, 8192]);
      expect(plans.every((p) => p.kind === kind && p.vcpus >= 1 && p.diskGb >= 10)).toBe(true);
    }
    expect((await catalog.images()).map((i) => [i.id, i.kind, i.location])).toEqual([
      ['dev-busybox-kernel', 'VM', 'dev:busybox-kernel'],
      ['dev-blank-disk', 'VM', 'dev:blank-disk'],
      ['dev-busybox-rootfs', 'CONTAINER', 'dev:busybox-rootfs'],
    ]);
  });

  it('registers a real image, and refuses a bad one naming the field', async () => {
    const image = { id: 'debian-12', name: 'Debian 12', os: 'debian', version: '12', kind: 'VM' as const, location: '/srv/images/debian-12-genericcloud-amd64.qcow2' };
    expect(await catalog.registerImage(image)).toEqual(image);
    expect(await catalog.images('VM')).toContainEqual(image);
    await expect(catalog.registerImage(image)).rejects.toMatchObject({ code: 'CONFLICT' });
    await expect(catalog.registerImage({ ...image, id: 'x', location: '/srv/images/../../etc/shadow' })).rejects.toMatchObject({ code: 'BAD_USER_INPUT', field: 'input.location' });
    await expect(catalog.registerImage({ ...image, id: '../x' })).rejects.toMatchObject({ code: 'BAD_USER_INPUT', field: 'input.id' });
    await expect(catalog.plans('TOASTER' as never)).rejects.toMatchObject({ code: 'BAD_USER_INPUT', field: 'kind' });
  });

  it('lets ADMIN add and rename plans but never resize one, retire plans and images, and add regions', async () => {
    const plan = { id: 'vm-16g', name: 'VM 16 GB', kind: 'VM' as const, vcpus: 8, memoryMb: 16384, diskGb: 320 };
    expect(await catalog.savePlan(plan)).toEqual(plan);
    expect(await catalog.savePlan({ ...plan, name: 'VM 16 GB (large)' })).toMatchObject({ name: 'VM 16 GB (large)' });
    await expect(catalog.savePlan({ ...plan, memoryMb: 32768 })).rejects.toMatchObject({ code: 'CONFLICT' });
    await expect(catalog.savePlan({ ...plan, id: 'x', vcpus: 0 })).rejects.toMatchObject({ code: 'BAD_USER_INPUT', field: 'input.vcpus' });

    await catalog.setOffered('plan', 'vm-16g', false);
    expect((await catalog.plans('VM')).map((p) => p.id)).not.toContain('vm-16g');
    expect(await catalog.plan('vm-16g')).toMatchObject({ active: false }); // instances made with it still find it
    await catalog.setOffered('image', 'dev-blank-disk', false);
    expect((await catalog.images('VM')).map((i) => i.id)).not.toContain('dev-blank-disk');
    await catalog.setOffered('image', 'dev-blank-disk', true);
    await expect(catalog.setOffered('plan', 'nope', false)).rejects.toMatchObject({ code: 'NOT_FOUND' });

    expect(await catalog.saveRegion({ id: 'fra1', name: 'Frankfurt 1', dnsZone: 'Cloud.Example.com.' })).toEqual({ id: 'fra1', name: 'Frankfurt 1', dnsZone: 'cloud.example.com' });
    await expect(catalog.saveRegion({ id: 'fra2', name: 'x', dnsZone: 'bad_zone..com' })).rejects.toMatchObject({ code: 'BAD_USER_INPUT', field: 'input.dnsZone' });
    await expect(catalog.saveRegion({ id: 'fra.2', name: 'x', dnsZone: 'example.com' })).rejects.toMatchObject({ code: 'BAD_USER_INPUT', field: 'input.id' });
  });
});
