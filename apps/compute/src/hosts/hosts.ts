import type pg from 'pg';
import { AppError, type EventMetadata, type HostHeartbeat, type HostView, isRfc1123Label, SYSTEM_ACTOR } from '#libs/contracts';
import { handleCommand, type EventStore } from '#libs/event-store';
import { hostDecider, hostStreamId } from './host.decider.js';

function systemMetadata(cause: string): EventMetadata {
  return { correlationId: cause, causationId: null, actor: SYSTEM_ACTOR };
}

function isValidHeartbeat(beat: HostHeartbeat): boolean {
  const whole = (n: unknown) => Number.isInteger(n) && (n as number) >= 0;
  return (
    isRfc1123Label(beat?.hostId) &&
    isRfc1123Label(beat?.regionId) &&
    typeof beat.name === 'string' &&
    Array.isArray(beat.kinds) &&
    beat.kinds.every((k) => k === 'VM' || k === 'CONTAINER') &&
    whole(beat.capacity?.vcpus) &&
    whole(beat.capacity?.memoryMb) &&
    whole(beat.capacity?.diskGb) &&
    (beat.fenceTimeoutMs === undefined || whole(beat.fenceTimeoutMs)) &&
    (beat.agentStartedAt === undefined || (typeof beat.agentStartedAt === 'string' && Number.isFinite(Date.parse(beat.agentStartedAt))))
  );
}

/** Hosts kept current by their agents' heartbeats; DOWN when those stop for the down-timeout. Retired hosts are not listed. */
export class Hosts {
  constructor(
    private readonly pool: pg.Pool,
    private readonly store: EventStore,
  ) {}

  async recordHeartbeat(beat: HostHeartbeat): Promise<void> {
    if (!isValidHeartbeat(beat)) throw AppError.badInput('heartbeat', 'malformed heartbeat');
    const agentStartedAt = beat.agentStartedAt === undefined ? undefined : new Date(beat.agentStartedAt).toISOString();
    const { rows } = await this.pool.query<{ down: boolean; retired: boolean; newAgent: boolean }>(
      `SELECT down, retired_at IS NOT NULL AS retired, $2::timestamptz IS NOT NULL AND agent_started_at IS DISTINCT FROM $2::timestamptz AS "newAgent"
       FROM hosts WHERE id = $1`,
      [beat.hostId, agentStartedAt ?? null],
    );
    // A retired host's word counts no more (it may still be connected where NATS has not heard yet, or lets anyone in).
    if (rows[0]?.retired) throw AppError.conflict(`host ${beat.hostId} is retired`);
    await this.pool.query(
      `INSERT INTO host_resources (host_id, kinds, vcpus, memory_mb, disk_gb, agent_allocated, fence_timeout_ms, last_heartbeat_at)
       VALUES ($1, $2, $3, $4, $5, $6, $7, now())
       ON CONFLICT (host_id) DO UPDATE SET kinds = excluded.kinds, vcpus = excluded.vcpus, memory_mb = excluded.memory_mb,
         disk_gb = excluded.disk_gb, agent_allocated = excluded.agent_allocated, fence_timeout_ms = excluded.fence_timeout_ms,
         last_heartbeat_at = now()`,
      [beat.hostId, beat.kinds, beat.capacity.vcpus, beat.capacity.memoryMb, beat.capacity.diskGb, JSON.stringify(beat.allocated ?? {}),
        beat.fenceTimeoutMs ?? null],
    );
    // Only a new host, one coming back, or a new agent on it has anything to record.
    if (rows.length === 0 || rows[0].down || rows[0].newAgent) {
      await handleCommand(
        this.store,
        hostStreamId(beat.hostId),
        hostDecider,
        { type: 'RecordHeartbeat', hostId: beat.hostId, name: beat.name, regionId: beat.regionId, agentStartedAt },
        systemMetadata(`heartbeat-${beat.hostId}`),
      );
    }
  }

  /**
   * Marks DOWN every host whose last heartbeat is older than `timeoutMs`; returns them, each
   * with whether it fences itself in time for its instances to be restarted elsewhere.
   */
  async markSilentHostsDown(timeoutMs: number): Promise<{ id: string; fencesInTime: boolean }[]> {
    const { rows } = await this.pool.query<{ id: string; fencesInTime: boolean }>(
      `SELECT h.id, coalesce(r.fence_timeout_ms < $1, false) AS "fencesInTime" FROM hosts h JOIN host_resources r ON r.host_id = h.id
       WHERE NOT h.down AND r.last_heartbeat_at < now() - make_interval(secs => $1::double precision / 1000)`,
      [timeoutMs],
    );
    for (const { id } of rows) {
      await handleCommand(this.store, hostStreamId(id), hostDecider, { type: 'MarkHostDown', hostId: id }, systemMetadata(`down-${id}`));
    }
    return rows;
  }

  async setMaintenance(hostId: string, maintenance: boolean, metadata: EventMetadata): Promise<HostView> {
    if (!isRfc1123Label(hostId)) throw AppError.notFound(`host ${hostId}`);
    if (typeof maintenance !== 'boolean') throw AppError.badInput('maintenance', 'must be true or false');
    await handleCommand(this.store, hostStreamId(hostId), hostDecider, { type: 'SetMaintenance', hostId, maintenance }, metadata);
    return (await this.list(hostId))[0];
  }

  /** Every host, or the one named; a retired one is not listed. */
  list(hostId?: string): Promise<HostView[]> {
    return this.query(hostId ?? null, false);
  }

  /** The host, retired or not (a retired one is DOWN). */
  async find(hostId: string): Promise<HostView | undefined> {
    return (await this.query(hostId, true))[0];
  }

  private async query(hostId: string | null, withRetired: boolean): Promise<HostView[]> {
    const { rows } = await this.pool.query<HostView>(
      `SELECT h.id, h.name, h.region_id AS "regionId", h.status,
              coalesce(r.kinds, '{}') AS kinds, coalesce(r.vcpus, 0) AS vcpus, coalesce(r.memory_mb, 0) AS "memoryMb",
              coalesce(r.disk_gb, 0) AS "diskGb", coalesce(r.reserved_vcpus, 0) AS "allocatedVcpus",
              coalesce(r.reserved_memory_mb, 0) AS "allocatedMemoryMb", coalesce(r.reserved_disk_gb, 0) AS "allocatedDiskGb",
              to_char(r.last_heartbeat_at AT TIME ZONE 'UTC', 'YYYY-MM-DD"T"HH24:MI:SS.MS"Z"') AS "lastHeartbeatAt"
       FROM hosts h LEFT JOIN host_resources r ON r.host_id = h.id
       WHERE ($2 OR h.retired_at IS NULL) AND ($1::text IS NULL OR h.id = $1) ORDER BY h.region_id, h.name, h.id`,
      [hostId, withRetired],
    );
    return rows;
  }
}
