import type pg from 'pg';
import { type BackupScheduleView, type BackupStatus, type BackupView, isUuid } from '#libs/contracts';
import type { Sql } from '#libs/event-store';

const VIEW = `SELECT id, instance_id AS "instanceId", account_id AS "accountId", region_id AS "regionId", kind, plan_id AS "planId",
  image_id AS "imageId", billing_cycle AS "billingCycle", status, size_mb AS "sizeMb", scheduled, failure_reason AS "failureReason",
  created_at AS "createdAt", position FROM backups`;

type ViewRow = BackupView & { position: string };
const toView = ({ position: _, ...view }: ViewRow): BackupView => view;

/** A backup under way for longer than it may take: being taken (its instance's request's version), or deleted. */
export interface StuckBackup {
  id: string;
  instanceId: string;
  status: BackupStatus;
  operationVersion: number | null;
}

/** A schedule whose day has come, as of a time: the instance, its account, and how many of its scheduled backups it keeps. */
export interface DueSchedule {
  instanceId: string;
  accountId: string;
  keep: number;
  /** The day (UTC, YYYY-MM-DD) of the run that is due. */
  day: string;
}

/** The `backups` and `backup_schedules` projections as compute's API reads them, and the schedules' daily claims. */
export class BackupsRepository {
  constructor(private readonly pool: pg.Pool) {}

  async find(id: string): Promise<BackupView | null> {
    const uuid = id.toLowerCase();
    if (!isUuid(uuid)) return null;
    const { rows } = await this.pool.query<ViewRow>(`${VIEW} WHERE id = $1`, [uuid]);
    return rows[0] ? toView(rows[0]) : null;
  }

  /** How many backups taken by hand the account holds: being taken or available. */
  async heldByHand(sql: Sql, accountId: string): Promise<number> {
    const { rows } = await sql.query<{ held: number }>(
      `SELECT count(*)::integer AS held FROM backups WHERE account_id = $1 AND NOT scheduled AND status IN ('CREATING', 'AVAILABLE')`,
      [accountId],
    );
    return rows[0].held;
  }

  /** Up to `limit` backups before `beforePosition` (0: from the newest), newest first, but DELETED ones; and how many there are. */
  async list(filter: { accounts: string[] | null; instanceId: string | null }, beforePosition: number, limit: number) {
    const where = `WHERE status <> 'DELETED' AND ($1::text[] IS NULL OR account_id = ANY($1)) AND ($2::uuid IS NULL OR instance_id = $2)`;
    const params = [filter.accounts, filter.instanceId];
    const [{ rows }, count] = await Promise.all([
      this.pool.query<ViewRow>(`${VIEW} ${where} AND ($3::bigint = 0 OR position < $3) ORDER BY position DESC LIMIT $4`, [...params, beforePosition, limit]),
      this.pool.query<{ total: number }>(`SELECT count(*)::integer AS total FROM backups ${where}`, params),
    ]);
    return { entries: rows.map((row) => ({ position: row.position, view: toView(row) })), total: count.rows[0].total };
  }

  async stuck(timeoutMs: number): Promise<StuckBackup[]> {
    const { rows } = await this.pool.query<StuckBackup>(
      `SELECT id, instance_id AS "instanceId", status, operation_version AS "operationVersion" FROM backups
       WHERE status IN ('CREATING', 'DELETING') AND status_since < now() - $1 * interval '1 millisecond'`,
      [timeoutMs],
    );
    return rows;
  }

  async schedules(instanceIds: string[], accounts: string[] | null): Promise<BackupScheduleView[]> {
    const { rows } = await this.pool.query<BackupScheduleView>(
      `SELECT instance_id AS "instanceId", hour_utc AS "hourUtc", keep FROM backup_schedules
       WHERE instance_id = ANY($1::uuid[]) AND ($2::text[] IS NULL OR account_id = ANY($2))`,
      [instanceIds, accounts],
    );
    return rows;
  }

  /**
   * The schedules due as of `asOf`: their latest run time (the day's hour, or the day before's when
   * the hour is still to come) came after the schedule was set, and that day has no run yet.
   */
  async due(asOf: Date): Promise<DueSchedule[]> {
    const { rows } = await this.pool.query<DueSchedule>(
      `WITH runs AS (
         SELECT s.instance_id, s.account_id, s.keep, s.set_at,
                date_trunc('day', $1::timestamptz AT TIME ZONE 'UTC') + make_interval(hours => s.hour_utc)
                  - CASE WHEN extract(hour FROM $1::timestamptz AT TIME ZONE 'UTC') < s.hour_utc THEN interval '1 day' ELSE interval '0' END AS run_at
         FROM backup_schedules s
       )
       SELECT r.instance_id AS "instanceId", r.account_id AS "accountId", r.keep, to_char(r.run_at, 'YYYY-MM-DD') AS day
       FROM runs r
       WHERE r.run_at AT TIME ZONE 'UTC' >= r.set_at
         AND NOT EXISTS (SELECT 1 FROM backup_schedule_runs c WHERE c.instance_id = r.instance_id AND c.day = r.run_at::date)`,
      [asOf.toISOString()],
    );
    return rows;
  }

  /** Claims the day's run of the instance's schedule, in `tx`: false where a replica (or an earlier tick) claimed it. */
  async claim(tx: Sql, instanceId: string, day: string, backupId: string): Promise<boolean> {
    const { rowCount } = await tx.query(
      'INSERT INTO backup_schedule_runs (instance_id, day, backup_id) VALUES ($1, $2, $3) ON CONFLICT DO NOTHING',
      [instanceId, day, backupId],
    );
    return rowCount === 1;
  }

  /** The instance's scheduled backups past the newest `keep` AVAILABLE ones: those the schedule lets go (failed ones older than the kept ones too). */
  async beyondKeep(instanceId: string, keep: number): Promise<string[]> {
    const { rows } = await this.pool.query<{ id: string }>(
      `WITH kept AS (
         SELECT position FROM backups WHERE instance_id = $1 AND scheduled AND status = 'AVAILABLE' ORDER BY position DESC LIMIT $2
       )
       SELECT id FROM backups
       WHERE instance_id = $1 AND scheduled AND status IN ('AVAILABLE', 'ERROR')
         AND (SELECT count(*) FROM kept) = $2 AND position < (SELECT min(position) FROM kept)
       ORDER BY position`,
      [instanceId, keep],
    );
    return rows.map((row) => row.id);
  }

  async keepOf(instanceId: string): Promise<number | null> {
    const { rows } = await this.pool.query<{ keep: number }>('SELECT keep FROM backup_schedules WHERE instance_id = $1', [instanceId]);
    return rows[0]?.keep ?? null;
  }
}
