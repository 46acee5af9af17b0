import { randomUUID } from 'node:crypto';
import { withTransaction } from '#libs/event-store';
import { migrateEventStore } from '#libs/event-sourcing';
import { createTestDatabase, type TestDatabase } from '#libs/testing';
import { computeEventStore } from '../compute.event-store.js';
import { BackupsRepository } from './backups.repository.js';

/** Backup schedules on PostgreSQL: which are due when, each day's run claimed once, and which scheduled backups a schedule lets go. */
describe('backup schedules on PostgreSQL', () => {
  let db: TestDatabase;
  let backups: BackupsRepository;

  const schedule = (instanceId: string, hourUtc: number, keep: number, setAt: string) =>
    db.pool.query('INSERT INTO backup_schedules (instance_id, account_id, hour_utc, keep, set_at) VALUES ($1, $2, $3, $4, $5)', [instanceId, 'acct-1', hourUtc, keep, setAt]);
  const backup = async (instanceId: string, scheduled: boolean, status: string) => {
    const id = randomUUID();
    await db.pool.query(
      `INSERT INTO backups (id, instance_id, account_id, region_id, kind, plan_id, image_id, billing_cycle, instance_name, scheduled, status, status_since, created_at)
       VALUES ($1, $2, 'acct-1', 'local', 'CONTAINER', 'ct-512m', 'dev-busybox-rootfs', 'HOURLY', 'web', $3, $4, now(), now())`,
      [id, instanceId, scheduled, status],
    );
    return id;
  };
  const dueAt = async (iso: string) => (await backups.due(new Date(iso))).map(({ instanceId, day }) => ({ instanceId, day }));

  beforeEach(async () => {
    db = await createTestDatabase('compute');
    await migrateEventStore(db.pool, { ...computeEventStore, service: db.schema });
    backups = new BackupsRepository(db.pool);
  });
  afterEach(() => db.close());

  it('lists the backups before any position a cursor holds, past 2^31 too', async () => {
    const instanceId = randomUUID();
    const id = await backup(instanceId, false, 'AVAILABLE');
    const listed = await backups.list({ accounts: ['acct-1'], instanceId }, 3_000_000_000, 10);
    expect(listed).toMatchObject({ entries: [{ view: { id } }], total: 1 });
  });

  it("is due from its hour of the day (UTC) on, once for that day, and not for a day before it was set", async () => {
    const instanceId = randomUUID();
    await schedule(instanceId, 3, 2, '2026-12-01T05:00:00Z');
    // Set after 03:00 on the 1st: the 1st's run is not owed; the 2nd's comes at 03:00.
    expect(await dueAt('2026-12-01T23:59:00Z')).toEqual([]);
    expect(await dueAt('2026-12-02T02:59:00Z')).toEqual([]);
    expect(await dueAt('2026-12-02T03:00:00Z')).toEqual([{ instanceId, day: '2026-12-02' }]);
    expect(await dueAt('2026-12-03T01:00:00Z')).toEqual([{ instanceId, day: '2026-12-02' }]);

    expect(await withTransaction(db.pool, (tx) => backups.claim(tx, instanceId, '2026-12-02', randomUUID()))).toBe(true);
    expect(await dueAt('2026-12-03T01:00:00Z')).toEqual([]);
    expect(await dueAt('2026-12-03T03:00:00Z')).toEqual([{ instanceId, day: '2026-12-03' }]);
  });

  it("lets one of many replicas claim a day's run, and none once a claim's transaction rolled back is claimed again", async () => {
    const instanceId = randomUUID();
    await schedule(instanceId, 0, 1, '2026-11-30T00:00:00Z');
    await expect(withTransaction(db.pool, async (tx) => {
      await backups.claim(tx, instanceId, '2026-12-01', randomUUID());
      throw new Error('the backup could not be asked for');
    })).rejects.toThrow('could not be asked for');
    expect(await dueAt('2026-12-01T12:00:00Z')).toEqual([{ instanceId, day: '2026-12-01' }]);

    const claims = await Promise.all(Array.from({ length: 8 }, () => withTransaction(db.pool, (tx) => backups.claim(tx, instanceId, '2026-12-01', randomUUID()))));
    expect(claims.filter(Boolean)).toHaveLength(1);
  });

  it("lets go of the scheduled backups past the newest `keep` available ones, never a manual one or one being taken", async () => {
    const instanceId = randomUUID();
    await schedule(instanceId, 0, 2, '2026-11-30T00:00:00Z');
    const oldest = await backup(instanceId, true, 'AVAILABLE');
    const failed = await backup(instanceId, true, 'ERROR');
    const manual = await backup(instanceId, false, 'AVAILABLE');
    expect(await backups.beyondKeep(instanceId, 2)).toEqual([]); // one available scheduled backup: nothing to let go yet
    await backup(instanceId, true, 'AVAILABLE');
    expect(await backups.beyondKeep(instanceId, 2)).toEqual([]); // two: both kept, the failed one between them too
    await backup(instanceId, true, 'AVAILABLE');
    expect((await backups.beyondKeep(instanceId, 2)).sort()).toEqual([oldest, failed].sort());
    await backup(instanceId, true, 'CREATING');
    expect((await backups.beyondKeep(instanceId, 2)).sort()).toEqual([oldest, failed].sort());
    expect(await backups.beyondKeep(instanceId, 2)).not.toContain(manual);
    expect(await backups.keepOf(instanceId)).toBe(2);
    expect(await backups.keepOf(randomUUID())).toBeNull();
  });
});
