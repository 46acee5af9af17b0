import { randomUUID } from 'node:crypto';
import { migrateEventStore } from '#libs/event-sourcing';
import { createTestDatabase, type TestDatabase } from '#libs/testing';
import { computeEventStore } from '../compute.event-store.js';
import { InstancesRepository, type InstanceSelection } from './instances.repository.js';

/** Instances as the projection keeps them: [account, status], in creation (position) order. */
const ROWS: [string, string][] = [
  ['acme', 'RUNNING'], ['globex', 'RUNNING'], ['acme', 'STOPPED'], ['initech', 'RUNNING'], ['acme', 'DELETED'],
  ['globex', 'STOPPED'], ['acme', 'RUNNING'], ['globex', 'DELETED'], ['initech', 'STOPPED'], ['acme', 'RUNNING'],
];

const every: InstanceSelection = { status: null, accountId: null, accounts: null, ids: null, withDeleted: false };

describe('the instances list on PostgreSQL', () => {
  let db: TestDatabase;
  let instances: InstancesRepository;
  const ids: string[] = [];

  /** Names of a page (n<position>), and its count. */
  async function page(selection: Partial<InstanceSelection>, after = 0, limit = 100) {
    const { entries, total } = await instances.list({ ...every, ...selection }, after, limit);
    return { names: entries.map((entry) => entry.view.name), total };
  }

  beforeAll(async () => {
    db = await createTestDatabase('compute');
    await migrateEventStore(db.pool, { ...computeEventStore, service: db.schema });
    for (const [i, [account, status]] of ROWS.entries()) {
      ids.push(randomUUID());
      await db.pool.query(
        `INSERT INTO instances (id, position, account_id, name, kind, image_id, plan_id, region_id, billing_cycle, status, status_since, vcpus, memory_mb, disk_gb, state, created_at, updated_at, fqdn)
         VALUES ($1, $2, $3, $4, 'CONTAINER', 'debian-12', 'ct-512m', 'local', 'HOURLY', $5, now(), 1, 512, 5, '{}', now(), now(), $4 || '.local.awan.test')`,
        [ids[i], i + 1, account, `n${i + 1}`, status],
      );
    }
    instances = new InstancesRepository(db.pool);
  });
  afterAll(() => db.close());

  it("gives a tenant its accounts' live instances in one order across them, counted, and pages by position", async () => {
    expect(await page({ accounts: ['acme', 'globex'] })).toEqual({ names: ['n1', 'n2', 'n3', 'n6', 'n7', 'n10'], total: 6 });
    expect(await page({ accounts: ['acme', 'globex'] }, 0, 3)).toEqual({ names: ['n1', 'n2', 'n3'], total: 6 });
    expect(await page({ accounts: ['acme', 'globex'] }, 3, 3)).toEqual({ names: ['n6', 'n7', 'n10'], total: 6 });
    // A scope naming an account twice lists its instances once.
    expect(await page({ accounts: ['acme', 'acme'] })).toEqual({ names: ['n1', 'n3', 'n7', 'n10'], total: 4 });
  });

  it('narrows by account within the scope, and finds nothing for an account outside it', async () => {
    expect(await page({ accounts: ['acme', 'globex'], accountId: 'globex' })).toEqual({ names: ['n2', 'n6'], total: 2 });
    expect(await page({ accounts: ['acme'], accountId: 'initech' })).toEqual({ names: [], total: 0 });
    expect(await page({ accountId: 'initech' })).toEqual({ names: ['n4', 'n9'], total: 2 });
  });

  it('filters by status, and shows deleted ones only where asked', async () => {
    expect(await page({ status: 'STOPPED' })).toEqual({ names: ['n3', 'n6', 'n9'], total: 3 });
    expect(await page({ status: 'STOPPED', accounts: ['acme', 'initech'] })).toEqual({ names: ['n3', 'n9'], total: 2 });
    expect(await page({ accounts: ['globex'], withDeleted: true })).toEqual({ names: ['n2', 'n6', 'n8'], total: 3 });
    expect(await page({ status: 'DELETED', withDeleted: true })).toEqual({ names: ['n5', 'n8'], total: 2 });
    expect(await page({})).toEqual({ names: ['n1', 'n2', 'n3', 'n4', 'n6', 'n7', 'n9', 'n10'], total: 8 });
  });

  it("finds instances by id within the scope, deleted or not where asked", async () => {
    const byIds = [ids[4], ids[1], ids[0]]; // n5 (acme, deleted), n2 (globex), n1 (acme)
    expect(await page({ ids: byIds, accounts: ['acme'], withDeleted: true })).toEqual({ names: ['n1', 'n5'], total: 2 });
    expect(await page({ ids: byIds })).toEqual({ names: ['n1', 'n2'], total: 2 });
  });
});
