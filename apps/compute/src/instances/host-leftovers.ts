import type pg from 'pg';

/**
 * Instances deleted while their host was DOWN, which the host may still hold (a disk, a folder):
 * deleted there once it is back. Only a host that fences itself before it is DOWN is passed over
 * so: it has killed its instances by then, so none of them runs while it is away.
 */
export class HostLeftovers {
  constructor(
    private readonly pool: pg.Pool,
    /** HOST_DOWN_TIMEOUT_MS: a host's fence must come sooner for its instances to be known dead. */
    private readonly downTimeoutMs: number,
  ) {}

  /** Whether the host is DOWN and fenced itself before it was: an instance of it may be deleted without it. */
  async hostFencedAndDown(hostId: string): Promise<boolean> {
    const { rowCount } = await this.pool.query(
      'SELECT 1 FROM hosts h JOIN host_resources r ON r.host_id = h.id WHERE h.id = $1 AND h.down AND r.fence_timeout_ms < $2',
      [hostId, this.downTimeoutMs],
    );
    return rowCount === 1;
  }

  /** Keeps the instance's leftovers on its host to delete once the host is back. */
  async keep(instanceId: string, hostId: string): Promise<void> {
    await this.pool.query('INSERT INTO host_leftovers (instance_id, host_id) VALUES ($1, $2) ON CONFLICT (instance_id) DO NOTHING', [instanceId, hostId]);
  }

  /** The leftovers of hosts that are back, not tried in the last minute. */
  async due(): Promise<{ instanceId: string; hostId: string }[]> {
    const { rows } = await this.pool.query<{ instanceId: string; hostId: string }>(
      `SELECT l.instance_id AS "instanceId", l.host_id AS "hostId" FROM host_leftovers l JOIN hosts h ON h.id = l.host_id
       WHERE NOT h.down AND l.next_attempt_at <= now() LIMIT 100`,
    );
    return rows;
  }

  async cleared(instanceId: string): Promise<void> {
    await this.pool.query('DELETE FROM host_leftovers WHERE instance_id = $1', [instanceId]);
  }

  async tryAgainLater(instanceId: string): Promise<void> {
    await this.pool.query(`UPDATE host_leftovers SET next_attempt_at = now() + interval '1 minute' WHERE instance_id = $1`, [instanceId]);
  }
}
