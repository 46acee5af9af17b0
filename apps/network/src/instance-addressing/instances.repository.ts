import type pg from 'pg';
import { type ComputeEvents, isUuid } from '#libs/contracts';
import type { Sql } from '#libs/event-store';
import type { TargetInstance } from '../ips/ip.decider.js';

/**
 * `instances`: network's read model of compute's instances, kept from compute's events by the
 * addressing consumer, as far as addresses and DNS need it.
 */
export class InstancesRepository {
  constructor(private readonly pool: pg.Pool) {}

  /** The instance as requested, from compute's event or its request for the instance's addresses, whichever comes first. */
  async record(tx: Sql, request: Pick<ComputeEvents['InstanceRequested'], 'instanceId' | 'accountId' | 'regionId' | 'name'>): Promise<void> {
    await tx.query(
      'INSERT INTO instances (id, account_id, region_id, name) VALUES ($1, $2, $3, $4) ON CONFLICT (id) DO NOTHING',
      [request.instanceId, request.accountId, request.regionId, request.name],
    );
  }

  /**
   * The instance recorded as `record` does, with its row locked until the caller's transaction ends
   * (as `lock`), in one statement; whether it has ended. The update changes nothing: it is there for
   * the lock, and waits, as a lock after the insert would, for a transaction recording the same instance.
   */
  async recordLocked(tx: Sql, request: Pick<ComputeEvents['InstanceRequested'], 'instanceId' | 'accountId' | 'regionId' | 'name'>): Promise<{ ended: boolean }> {
    const { rows } = await tx.query<{ ended: boolean }>(
      `INSERT INTO instances (id, account_id, region_id, name) VALUES ($1, $2, $3, $4)
       ON CONFLICT (id) DO UPDATE SET ended_at = instances.ended_at
       RETURNING ended_at IS NOT NULL AS ended`,
      [request.instanceId, request.accountId, request.regionId, request.name],
    );
    return rows[0];
  }

  async markStarted(tx: Sql, instanceId: string): Promise<void> {
    await tx.query('UPDATE instances SET started = true WHERE id = $1', [instanceId]);
  }

  async hasStarted(tx: Sql, instanceId: string): Promise<boolean> {
    const { rows } = await tx.query<{ started: boolean }>('SELECT started FROM instances WHERE id = $1', [instanceId]);
    return rows[0]?.started === true;
  }

  /** Ended when it was first deleted or failed for good; a later event keeps that time. */
  async markEnded(tx: Sql, instanceId: string, at: string): Promise<void> {
    await tx.query('UPDATE instances SET ended_at = coalesce(ended_at, $2) WHERE id = $1', [instanceId, at]);
  }

  /** The instance, whoever's it is; null for an id that is none of ours. */
  find(instanceId: string): Promise<TargetInstance | null> {
    return this.read(this.pool, instanceId, '');
  }

  /**
   * The instance with its row locked until the caller's transaction ends: what is decided about it
   * across streams (how many firewalls it holds) holds until then, and its end waits for that.
   */
  lock(tx: Sql, instanceId: string): Promise<TargetInstance | null> {
    return this.read(tx, instanceId, 'FOR UPDATE');
  }

  private async read(sql: Sql, instanceId: string, lock: '' | 'FOR UPDATE'): Promise<TargetInstance | null> {
    const id = instanceId.toLowerCase();
    if (!isUuid(id)) return null;
    const { rows } = await sql.query<{ account_id: string; region_id: string; ended: boolean }>(
      `SELECT account_id, region_id, ended_at IS NOT NULL AS ended FROM instances WHERE id = $1 ${lock}`,
      [id],
    );
    return rows[0] ? { instanceId: id, accountId: rows[0].account_id, regionId: rows[0].region_id, ended: rows[0].ended } : null;
  }
}
