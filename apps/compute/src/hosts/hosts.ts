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

  /** One heartbeat recorded, as recordHeartbeats records many: a refused one throws why. */
  async recordHeartbeat(beat: HostHeartbeat): Promise<void> {
    const [refused] = await this.recordHeartbeats([beat]);
    if (refused) throw refused;
  }

  /**
   * Heartbeats of many hosts recorded in one statement, however many hosts (a thousand hosts beating
   * every 2 s are 500 a second: one round trip for each was compute's and PostgreSQL's main work).
   * Of a host's several, the newest; the rows written in host order, so two replicas' batches take
   * their locks alike. Each host's answer, in the order given: undefined, or why it was refused
   * (malformed, retired). Only a new host, one coming back, or a new agent on it has events to record.
   */
  async recordHeartbeats(beats: HostHeartbeat[]): Promise<(AppError | undefined)[]> {
    const refused = beats.map((beat) =>
      isValidHeartbeat(beat) ? undefined : AppError.badInput('heartbeat', `malformed heartbeat${typeof beat?.hostId === 'string' ? ` of ${beat.hostId}` : ''}`));
    const newest = new Map<string, HostHeartbeat>();
    beats.forEach((beat, i) => {
      if (!refused[i]) newest.set(beat.hostId, beat);
    });
    if (newest.size === 0) return refused;
    const rows = [...newest.values()].map((beat) => ({
      host_id: beat.hostId, kinds: beat.kinds, vcpus: beat.capacity.vcpus, memory_mb: beat.capacity.memoryMb, disk_gb: beat.capacity.diskGb,
      agent_allocated: beat.allocated ?? {}, fence_timeout_ms: beat.fenceTimeoutMs ?? null,
      agent_started_at: beat.agentStartedAt === undefined ? null : new Date(beat.agentStartedAt).toISOString(),
    }));
    const { rows: found } = await this.pool.query<{ hostId: string; known: boolean; down: boolean; retired: boolean; newAgent: boolean }>({
      // Named: planned once per connection, not at every batch.
      name: 'compute_record_heartbeats',
      text: `WITH beat AS (
         SELECT * FROM jsonb_to_recordset($1::jsonb) AS b(host_id text, kinds text[], vcpus integer, memory_mb integer, disk_gb integer,
           agent_allocated jsonb, fence_timeout_ms integer, agent_started_at timestamptz)
       ),
       known AS (
         SELECT h.id, h.down, h.retired_at IS NOT NULL AS retired,
                b.agent_started_at IS NOT NULL AND h.agent_started_at IS DISTINCT FROM b.agent_started_at AS new_agent
         FROM beat b JOIN hosts h ON h.id = b.host_id
       ),
       written AS (
         INSERT INTO host_resources (host_id, kinds, vcpus, memory_mb, disk_gb, agent_allocated, fence_timeout_ms, last_heartbeat_at)
         SELECT b.host_id, b.kinds, b.vcpus, b.memory_mb, b.disk_gb, b.agent_allocated, b.fence_timeout_ms, now()
         FROM beat b WHERE NOT EXISTS (SELECT 1 FROM known k WHERE k.id = b.host_id AND k.retired)
         ORDER BY b.host_id
         ON CONFLICT (host_id) DO UPDATE SET kinds = excluded.kinds, vcpus = excluded.vcpus, memory_mb = excluded.memory_mb,
           disk_gb = excluded.disk_gb, agent_allocated = excluded.agent_allocated, fence_timeout_ms = excluded.fence_timeout_ms,
           last_heartbeat_at = now()
       )
       SELECT b.host_id AS "hostId", k.id IS NOT NULL AS known, coalesce(k.down, false) AS down, coalesce(k.retired, false) AS retired,
              coalesce(k.new_agent, false) AS "newAgent"
       FROM beat b LEFT JOIN known k ON k.id = b.host_id`,
      values: [JSON.stringify(rows)],
    });
    const outcome = new Map<string, AppError | undefined>();
    let failure: unknown;
    for (const host of found) {
      const beat = newest.get(host.hostId)!;
      // A retired host's word counts no more (it may still be connected where NATS has not heard yet, or lets anyone in).
      if (host.retired) {
        outcome.set(host.hostId, AppError.conflict(`host ${host.hostId} is retired`));
        continue;
      }
      if (!host.known || host.down || host.newAgent) {
        const agentStartedAt = beat.agentStartedAt === undefined ? undefined : new Date(beat.agentStartedAt).toISOString();
        // One host's command failing leaves the others' to be recorded; its next heartbeat asks again.
        await handleCommand(
          this.store,
          hostStreamId(beat.hostId),
          hostDecider,
          { type: 'RecordHeartbeat', hostId: beat.hostId, name: beat.name, regionId: beat.regionId, agentStartedAt },
          systemMetadata(`heartbeat-${beat.hostId}`),
        ).catch((error: unknown) => {
          if (error instanceof AppError) outcome.set(host.hostId, error);
          else failure ??= error;
        });
      }
    }
    if (failure !== undefined) throw failure;
    return beats.map((beat, i) => refused[i] ?? outcome.get(beat.hostId));
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
    return (await this.list([hostId]))[0];
  }

  /** Every host, or those named; a retired one is not listed. */
  list(hostIds?: readonly string[]): Promise<HostView[]> {
    if (hostIds !== undefined && !(Array.isArray(hostIds) && hostIds.every((id) => typeof id === 'string'))) {
      throw AppError.badInput('ids', 'must be a list of host ids');
    }
    return this.query(hostIds ?? null, false);
  }

  /** The host, retired or not (a retired one is DOWN). */
  async find(hostId: string): Promise<HostView | undefined> {
    return (await this.query([hostId], true))[0];
  }

  private async query(hostIds: readonly string[] | null, withRetired: boolean): Promise<HostView[]> {
    const { rows } = await this.pool.query<HostView>(
      `SELECT h.id, h.name, h.region_id AS "regionId", h.status,
              coalesce(r.kinds, '{}') AS kinds, coalesce(r.vcpus, 0) AS vcpus, coalesce(r.memory_mb, 0) AS "memoryMb",
              coalesce(r.disk_gb, 0) AS "diskGb", coalesce(r.reserved_vcpus, 0) AS "allocatedVcpus",
              coalesce(r.reserved_memory_mb, 0) AS "allocatedMemoryMb", coalesce(r.reserved_disk_gb, 0) AS "allocatedDiskGb",
              to_char(r.last_heartbeat_at AT TIME ZONE 'UTC', 'YYYY-MM-DD"T"HH24:MI:SS.MS"Z"') AS "lastHeartbeatAt"
       FROM hosts h LEFT JOIN host_resources r ON r.host_id = h.id
       WHERE ($2 OR h.retired_at IS NULL) AND ($1::text[] IS NULL OR h.id = ANY($1)) ORDER BY h.region_id, h.name, h.id`,
      [hostIds, withRetired],
    );
    return rows;
  }
}
