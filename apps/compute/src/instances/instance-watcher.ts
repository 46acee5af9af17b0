import type pg from 'pg';
import { isUuid, SYSTEM_ACTOR, type HostHeartbeat, type InstanceStatus } from '#libs/contracts';
import { decideInTransaction, withRetriedTransaction, type EventStore } from '#libs/event-store';
import type { PlacementRequest } from '../scheduler/placement.js';
import type { Scheduler } from '../scheduler/scheduler.js';
import { instanceDecider, instanceStreamId, TRANSITIONAL_STATUSES, type InstanceCommand } from './instance.decider.js';
/** A heartbeat is trusted to contradict a status only once the status is older than this (it may have been sent before). */
const REPORT_SETTLE = '5 seconds';
/** A drain that failed (no room elsewhere) is tried again after this long. */
const DRAIN_RETRY_MS = 60_000;
/** A reservation whose create never committed (a crash in between) is given back after this long; no transaction commits later than that after its time. */
const ORPHAN_RESERVATION_AGE = '5 minutes';

interface StuckInstance {
  id: string;
  status: InstanceStatus;
  status_version: number;
  host_id: string | null;
  placement: PlacementRequest;
}

/**
 * Keeps promises: an instance never stays in a transitional status past its timeout (it
 * fails, with the status in the reason), no reservation outlives its instance, an instance
 * whose guest powered itself off shows STOPPED, a DOWN host's instances restart elsewhere,
 * and a host in maintenance is emptied. Every replica may run it; the decider ignores what
 * no longer applies.
 */
export class InstanceWatcher {
  /** When this replica last asked each instance to leave a host in maintenance. */
  private readonly drainAttempts = new Map<string, number>();
  /** The database's time at the last reservation sweep: null until one is done. */
  private sweptUpTo: Date | null = null;

  constructor(
    private readonly pool: pg.Pool,
    private readonly store: EventStore,
    private readonly scheduler: Scheduler,
    /** How long an instance may stay in each transitional status. */
    private readonly timeoutsMs: Partial<Record<InstanceStatus, number>>,
  ) {}

  /**
   * Fails the instances stuck past their timeout; returns their ids. A migration's instance stays on
   * the host it was on, and so does its reservation, which the move had taken to its target.
   */
  async timeOutStuck(): Promise<string[]> {
    const { rows } = await this.pool.query<StuckInstance>(
      `SELECT id, status, (state->>'statusVersion')::integer AS status_version, host_id,
         json_build_object('regionId', region_id, 'kind', kind, 'vcpus', vcpus, 'memoryMb', memory_mb, 'diskGb', disk_gb) AS placement
       FROM instances
       WHERE status = ANY($2::text[]) AND status_since < now() - ($1::jsonb ->> status)::bigint * interval '1 millisecond'`,
      [JSON.stringify(this.timeoutsMs), TRANSITIONAL_STATUSES],
    );
    return this.decideEach(
      rows,
      (row) => ({ type: 'TimeOut', status: row.status, statusVersion: row.status_version }),
      'timeout',
      (tx, row) => (row.status === 'MIGRATING' ? this.scheduler.restore(row.id, row.host_id!, row.placement, tx) : Promise.resolve()),
    );
  }

  /**
   * Records as STOPPED the RUNNING instances that the host reports stopped, and starts again
   * those its fencing stopped while it stayed UP; returns their ids.
   */
  async reconcile(beat: HostHeartbeat): Promise<string[]> {
    const stopped = (beat.instances ?? []).filter((i) => i.state === 'STOPPED' && isUuid(i.instanceId));
    if (stopped.length === 0) return [];
    const fenced = new Set(stopped.filter((i) => i.fenced === true).map((i) => i.instanceId));
    const { rows } = await this.pool.query<{ id: string; status_version: number }>(
      `SELECT id, (state->>'statusVersion')::integer AS status_version FROM instances
       WHERE host_id = $1 AND id = ANY($2::uuid[]) AND status = 'RUNNING' AND status_since < now() - interval '${REPORT_SETTLE}'`,
      [beat.hostId, stopped.map((i) => i.instanceId)],
    );
    return this.decideEach(
      rows,
      (row) => ({ type: 'ObserveStopped', statusVersion: row.status_version, fenced: fenced.has(row.id) }),
      `heartbeat-${beat.hostId}`,
    );
  }

  /**
   * Asks for the RUNNING instances of DOWN hosts to be restarted elsewhere: only of hosts that
   * fence themselves before they are DOWN (`downTimeoutMs`), so none runs twice. Returns their ids.
   */
  async evacuateDownHosts(downTimeoutMs: number): Promise<string[]> {
    const rows = await this.instancesOn(
      { text: 'SELECT h.id FROM hosts h JOIN host_resources r ON r.host_id = h.id WHERE h.down AND r.fence_timeout_ms < $1', values: [downTimeoutMs] },
      `status = 'RUNNING'`,
    );
    return this.decideEach(rows, () => ({ type: 'MigrateInstance', toHostId: null, reason: 'evacuation' }), 'evacuation');
  }

  /** Moves the instances off hosts in maintenance (those that found no room are tried again later); returns their ids. */
  async drainMaintenanceHosts(): Promise<string[]> {
    const rows = await this.instancesOn({ text: 'SELECT id FROM hosts WHERE maintenance AND NOT down' }, `status IN ('RUNNING', 'STOPPED') AND state->'operation' = 'null'::jsonb`);
    const now = Date.now();
    const due = rows.filter((row) => now - (this.drainAttempts.get(row.id) ?? 0) > DRAIN_RETRY_MS);
    due.forEach((row) => this.drainAttempts.set(row.id, now));
    for (const [id, at] of this.drainAttempts) if (now - at > DRAIN_RETRY_MS) this.drainAttempts.delete(id);
    return this.decideEach(due, () => ({ type: 'MigrateInstance', toHostId: null, reason: 'drain' }), 'drain');
  }

  /**
   * The instances `where` keeps on the hosts `hosts` picks, the hosts first: there are seldom any
   * (none DOWN, none in maintenance), and a round then costs the same at 10 instances or 10,000,
   * whatever PostgreSQL's statistics say. As one join, a plan that began from the instances read
   * every running one each round (18 ms at 10,000 instances) to find none on such a host.
   */
  private async instancesOn(hosts: { text: string; values?: unknown[] }, where: string): Promise<{ id: string }[]> {
    const { rows: picked } = await this.pool.query<{ id: string }>(hosts.text, hosts.values);
    if (picked.length === 0) return [];
    const { rows } = await this.pool.query<{ id: string }>(`SELECT id FROM instances WHERE host_id = ANY($1) AND ${where}`, [picked.map((host) => host.id)]);
    return rows;
  }

  /** Gives each instance its command as the system, with what `alongside` writes where it changed it; returns the ids of those it changed. */
  private async decideEach<Row extends { id: string }>(
    rows: Row[],
    command: (row: Row) => InstanceCommand,
    cause: string,
    alongside?: (tx: pg.PoolClient, row: Row) => Promise<void>,
  ): Promise<string[]> {
    const changed: string[] = [];
    for (const row of rows) {
      const metadata = { correlationId: `${cause}-${row.id}`, causationId: null, actor: SYSTEM_ACTOR };
      const decided = await withRetriedTransaction(this.pool, async (tx) => {
        const events = await decideInTransaction(this.store, tx, instanceStreamId(row.id), instanceDecider, command(row), metadata);
        if (events.length > 0) await alongside?.(tx, row);
        return events.length > 0;
      });
      if (decided) changed.push(row.id);
    }
    return changed;
  }

  /**
   * Releases reservations with no instance behind them, or only a deleted one. Each round looks only
   * at what changed since the one before, by index: the instances deleted since (and up to the
   * orphan age before, a transaction may commit that late) and the reservations made since (and up to
   * twice that before, as an orphan is due only after it). The first round looks at all of them.
   */
  async sweepReservations(): Promise<string[]> {
    const { rows: [round] } = await this.pool.query<{ now: Date; due: string[] }>(
      `SELECT now(), array(
         SELECT r.instance_id FROM host_reservations r LEFT JOIN instances i ON i.id = r.instance_id
         WHERE ($1::timestamptz IS NULL OR r.reserved_at >= $1 - 2 * interval '${ORPHAN_RESERVATION_AGE}')
           AND ((i.id IS NULL AND r.reserved_at < now() - interval '${ORPHAN_RESERVATION_AGE}') OR i.status = 'DELETED')
         UNION
         SELECT r.instance_id FROM instances i JOIN host_reservations r ON r.instance_id = i.id
         WHERE i.status = 'DELETED' AND i.status_since >= $1 - interval '${ORPHAN_RESERVATION_AGE}'
       )::text[] AS due`,
      [this.sweptUpTo],
    );
    for (const id of round.due) await this.scheduler.release(id);
    this.sweptUpTo = round.now;
    return round.due;
  }
}
