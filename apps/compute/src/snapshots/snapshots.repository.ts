import type pg from 'pg';
import { isUuid, type SnapshotStatus, type SnapshotView } from '#libs/contracts';

const VIEW = `SELECT id, instance_id AS "instanceId", account_id AS "accountId", name, status, size_mb AS "sizeMb",
  failure_reason AS "failureReason", created_at AS "createdAt" FROM snapshots`;

/** A snapshot's create or delete under way for longer than it may take. */
export interface StuckSnapshot {
  instanceId: string;
  status: SnapshotStatus;
  operationVersion: number;
}

/** The `snapshots` projection as the API shows it. */
export class SnapshotsRepository {
  constructor(private readonly pool: pg.Pool) {}

  async find(id: string): Promise<SnapshotView | null> {
    const uuid = id.toLowerCase(); // PostgreSQL reads a uuid in either case
    if (!isUuid(uuid)) return null;
    const { rows } = await this.pool.query<SnapshotView>(`${VIEW} WHERE id = $1`, [uuid]);
    return rows[0] ?? null;
  }

  /** The snapshots of `instanceIds` but deleted ones, oldest first; of the accounts given (null: any account). */
  async list(instanceIds: string[], accounts: string[] | null): Promise<SnapshotView[]> {
    const { rows } = await this.pool.query<SnapshotView>(
      `${VIEW} WHERE instance_id = ANY($1::uuid[]) AND ($2::text[] IS NULL OR account_id = ANY($2)) AND status <> 'DELETED' ORDER BY created_at, id`,
      [instanceIds, accounts],
    );
    return rows;
  }

  async stuck(timeoutMs: number): Promise<StuckSnapshot[]> {
    const { rows } = await this.pool.query<StuckSnapshot>(
      `SELECT instance_id AS "instanceId", status, operation_version AS "operationVersion" FROM snapshots
       WHERE status IN ('CREATING', 'DELETING') AND status_since < now() - $1 * interval '1 millisecond'`,
      [timeoutMs],
    );
    return rows;
  }
}
