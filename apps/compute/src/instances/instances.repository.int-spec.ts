import { randomUUID } from 'node:crypto';
import { migrateEventStore } from '#libs/event-sourcing';
import { createTestDatabase, type TestDatabase } from '#libs/testing';
import { computeEventStore } from '../compute.event-store.js';
import { InstancesRepository, pageStatementOf, type InstanceSelection } from './instances.repository.js';

/** Instances as the projection keeps them: [account, status], in creation (position) order. */
const ROWS: [string, string][] = [
  ['acme', 'RUNNING'], ['globex', 'RUNNING'], ['acme', 'STOPPED'], ['initech', 'RUNNING'], ['acme', 'DELETED'],
  ['globex', 'STOPPED'], ['acme', 'RUNNING'], ['globex', 'DELETED'], ['initech', 'STOPPED'], ['acme', 'RUNNING'],
];

interface PlanNode {
  'Relation Name'?: string;
  'Actual Rows': number;
  'Actual Loops': number;
  'Rows Removed by Filter'?: number;
  Plans?: PlanNode[];
}

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

  it('answers the same once PostgreSQL keeps a plan of each statement', async () => {
    // Past the five runs after which PostgreSQL may keep one plan for any parameters.
    for (let i = 0; i < 8; i++) await page({ accounts: ['initech'] });
    expect(await page({ accounts: ['acme', 'globex'] }, 0, 3)).toEqual({ names: ['n1', 'n2', 'n3'], total: 6 });
    expect(await page({ accounts: ['globex'] })).toEqual({ names: ['n2', 'n6'], total: 2 });
  });

  // Last: it adds other tenants' instances.
  it("keeps a plan of a tenant's page that reads only its accounts' rows, however many others there are", async () => {
    await db.pool.query(
      `INSERT INTO instances (id, position, account_id, name, kind, image_id, plan_id, region_id, billing_cycle, status, status_since, vcpus, memory_mb, disk_gb, state, created_at, updated_at, fqdn)
       SELECT gen_random_uuid(), 100 + g, 'other-' || (g % 50), 'o' || g, 'CONTAINER', 'debian-12', 'ct-512m', 'local', 'HOURLY', 'RUNNING', now(), 1, 512, 5, '{}', now(), now(), 'o' || g || '.local.awan.test'
       FROM generate_series(1, 5000) AS g`,
    );
    await db.pool.query('ANALYZE instances');
    const { rows: statement } = pageStatementOf({ ...every, accounts: ['acme', 'globex'] });
    const client = await db.pool.connect();
    try {
      // The plan PostgreSQL keeps for any parameters, as it may after five runs.
      await client.query('SET plan_cache_mode = force_generic_plan');
      await client.query(`PREPARE tenant_page AS ${statement.text}`);
      const { rows } = await client.query<{ 'QUERY PLAN': [{ Plan: PlanNode }] }>(`EXPLAIN (ANALYZE, FORMAT JSON) EXECUTE tenant_page('{acme,globex}', 0, 21)`);
      const read = (node: PlanNode): number =>
        (node['Relation Name'] === 'instances' ? (node['Actual Rows'] + (node['Rows Removed by Filter'] ?? 0)) * node['Actual Loops'] : 0)
        + (node.Plans ?? []).reduce((sum, child) => sum + read(child), 0);
      // acme's and globex's 8 instances (2 of them deleted), not the other 5,000.
      expect(read(rows[0]['QUERY PLAN'][0].Plan)).toBeLessThanOrEqual(8);
    } finally {
      await client.query('DEALLOCATE tenant_page; RESET plan_cache_mode');
      client.release();
    }
  });
});
