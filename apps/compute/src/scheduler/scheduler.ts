import type pg from 'pg';
import { withTransaction, type Sql } from '#libs/event-store';
import { AppError } from '#libs/contracts';
import { rankHosts, type HostCandidate, type PlacementRequest, type Resources } from './placement.js';

interface CandidateRow {
  host_id: string;
  region_id: string;
  status: HostCandidate['status'];
  kinds: HostCandidate['kinds'];
  vcpus: number;
  memory_mb: number;
  disk_gb: number;
  cpu_ratio: string;
  memory_ratio: string;
  disk_ratio: string;
  reserved_vcpus: number;
  reserved_memory_mb: number;
  reserved_disk_gb: number;
}

/** A host row `r` (its host `h`) that can take the request ($2 vCPUs, $3 MB, $4 GB of kind $5 in region $6). */
const ROOM = `h.id = r.host_id AND h.status = 'UP' AND h.region_id = $6 AND $5 = ANY(r.kinds)
  AND r.reserved_vcpus + $2 <= floor(r.vcpus * r.cpu_ratio)
  AND r.reserved_memory_mb + $3 <= floor(r.memory_mb * r.memory_ratio)
  AND r.reserved_disk_gb + $4 <= floor(r.disk_gb * r.disk_ratio)`;

/**
 * Picks a host and reserves the instance's share of it. The reservation is one conditional
 * UPDATE under the host row's lock, re-checked against the latest reservations, so
 * concurrent creates on any number of replicas never overbook a host.
 */
export class Scheduler {
  constructor(private readonly pool: pg.Pool) {}

  /**
   * Reserves the new instance's share on the best host that has room, inside the caller's
   * transaction (the create's), so the reservation commits or rolls back with the instance: a
   * refused create holds nothing. The host row stays locked until that transaction ends.
   */
  async reserve(tx: pg.PoolClient, instanceId: string, request: PlacementRequest): Promise<string> {
    // A host whose row another create or a heartbeat holds is passed over for the next best, not
    // waited for with this connection; it is waited for only where no other host could take it.
    const busy = new Set<string>();
    const takeOn = async (hostId: string, waiting: boolean) => {
      const outcome = await this.take(tx, hostId, request, waiting);
      if (outcome === 'busy') busy.add(hostId);
      if (outcome !== 'taken') return false;
      await this.record(tx, instanceId, hostId, request);
      return true;
    };
    // The best few first; should every one of them have been taken meanwhile, all that can take it.
    for (const limit of [SHORTLIST, null]) {
      const candidates = await readCandidates(tx, request, limit);
      for (const host of rankHosts(candidates, request)) {
        if (await takeOn(host.hostId, false)) return host.hostId; // else taken or held meanwhile: the next host
      }
      if (limit !== null && candidates.length < limit) break; // that was all of them
    }
    for (const hostId of busy) if (await takeOn(hostId, true)) return hostId;
    throw new AppError('INSUFFICIENT_CAPACITY', `no host in region ${request.regionId} can take ${request.vcpus} vCPU, ${request.memoryMb} MB, ${request.diskGb} GB (${request.kind})`);
  }

  /**
   * Moves an instance's reservation off `from`: to `to`, or to the best UP host the scheduler
   * finds. Asked again once it has moved, it answers the host it moved to.
   */
  async move(instanceId: string, request: PlacementRequest, { from, to }: { from: string; to: string | null }): Promise<string> {
    const current = await this.reservationOf(instanceId);
    if (current !== null && current !== from) return current;
    const hosts = to ? [to] : rankHosts(await readCandidates(this.pool, request, null), request).map((h) => h.hostId).filter((id) => id !== from);
    for (const hostId of hosts) {
      const moved = await withTransaction(this.pool, async (tx) => {
        if ((await this.take(tx, hostId, request, true)) !== 'taken') return false;
        await this.giveBack(tx, instanceId);
        await this.record(tx, instanceId, hostId, request);
        return true;
      });
      if (moved) return hostId;
    }
    if (to) throw AppError.badInput('hostId', `host ${to} cannot take it: it must be UP in region ${request.regionId}, run ${request.kind}, and have room`);
    throw new AppError('INSUFFICIENT_CAPACITY', `no other host in region ${request.regionId} can take ${request.vcpus} vCPU, ${request.memoryMb} MB, ${request.diskGb} GB (${request.kind})`);
  }

  /**
   * Puts an instance's reservation back on the host it runs on, whatever that host's state (a migration
   * failed, or timed out), in `tx` when given.
   */
  async restore(instanceId: string, hostId: string, request: PlacementRequest, tx?: pg.PoolClient): Promise<void> {
    const putBack = async (tx: pg.PoolClient) => {
      await this.giveBack(tx, instanceId);
      await tx.query(
        `UPDATE host_resources SET reserved_vcpus = reserved_vcpus + $2, reserved_memory_mb = reserved_memory_mb + $3,
           reserved_disk_gb = reserved_disk_gb + $4 WHERE host_id = $1`,
        [hostId, request.vcpus, request.memoryMb, request.diskGb],
      );
      await this.record(tx, instanceId, hostId, request);
    };
    await (tx ? putBack(tx) : withTransaction(this.pool, putBack));
  }

  /**
   * Sets the instance's share of its host to `size`, in the caller's transaction: a smaller share
   * always, a larger one only where the host has the room for the difference (false when it has not).
   * A resize holds the larger of its two plans until it is over, then its new plan's.
   */
  async resize(tx: Sql, instanceId: string, size: Resources): Promise<boolean> {
    const { rows } = await tx.query<{ resized: boolean }>(
      `WITH held AS (SELECT host_id, vcpus, memory_mb, disk_gb FROM host_reservations WHERE instance_id = $1 FOR UPDATE),
       grown AS (
         UPDATE host_resources r SET reserved_vcpus = r.reserved_vcpus - held.vcpus + $2,
           reserved_memory_mb = r.reserved_memory_mb - held.memory_mb + $3, reserved_disk_gb = r.reserved_disk_gb - held.disk_gb + $4
         FROM held WHERE r.host_id = held.host_id
           AND ($2 <= held.vcpus OR r.reserved_vcpus - held.vcpus + $2 <= floor(r.vcpus * r.cpu_ratio))
           AND ($3 <= held.memory_mb OR r.reserved_memory_mb - held.memory_mb + $3 <= floor(r.memory_mb * r.memory_ratio))
           AND ($4 <= held.disk_gb OR r.reserved_disk_gb - held.disk_gb + $4 <= floor(r.disk_gb * r.disk_ratio))
         RETURNING r.host_id),
       recorded AS (UPDATE host_reservations SET vcpus = $2, memory_mb = $3, disk_gb = $4 WHERE instance_id = $1 AND EXISTS (SELECT 1 FROM grown) RETURNING 1)
       SELECT EXISTS (SELECT 1 FROM recorded) OR NOT EXISTS (SELECT 1 FROM held) AS resized`,
      [instanceId, size.vcpus, size.memoryMb, size.diskGb],
    );
    return rows[0].resized;
  }

  /** Gives an instance's share back; a second release finds nothing to give. */
  async release(instanceId: string): Promise<void> {
    await withTransaction(this.pool, (tx) => this.giveBack(tx, instanceId));
  }

  /**
   * Takes the share on the host if it is UP, runs the kind and has room: one conditional UPDATE under
   * the row's lock. `waiting` false passes over a row another transaction holds ('busy') rather than
   * waiting for it, and locks no row it does not take.
   */
  private async take(tx: pg.PoolClient, hostId: string, request: PlacementRequest, waiting: boolean): Promise<'taken' | 'full' | 'busy'> {
    const values = [hostId, request.vcpus, request.memoryMb, request.diskGb, request.kind, request.regionId];
    const take = `UPDATE host_resources r
       SET reserved_vcpus = reserved_vcpus + $2, reserved_memory_mb = reserved_memory_mb + $3, reserved_disk_gb = reserved_disk_gb + $4`;
    if (waiting) {
      const { rowCount } = await tx.query(`${take} FROM hosts h WHERE r.host_id = $1 AND ${ROOM}`, values);
      return rowCount === 1 ? 'taken' : 'full';
    }
    // Whether it had room is read as of the statement's start, as the row skipped was.
    const { rows: [outcome] } = await tx.query<{ taken: boolean; room: boolean }>(
      `WITH free AS (SELECT r.host_id FROM host_resources r, hosts h WHERE r.host_id = $1 AND ${ROOM} FOR UPDATE OF r SKIP LOCKED),
       taken AS (${take} FROM free, hosts h WHERE r.host_id = free.host_id AND ${ROOM} RETURNING 1)
       SELECT EXISTS (SELECT 1 FROM taken) AS taken, EXISTS (SELECT 1 FROM host_resources r, hosts h WHERE r.host_id = $1 AND ${ROOM}) AS room`,
      values,
    );
    return outcome.taken ? 'taken' : outcome.room ? 'busy' : 'full';
  }

  private async record(tx: pg.PoolClient, instanceId: string, hostId: string, request: PlacementRequest): Promise<void> {
    await tx.query('INSERT INTO host_reservations (instance_id, host_id, vcpus, memory_mb, disk_gb) VALUES ($1, $2, $3, $4, $5)', [
      instanceId, hostId, request.vcpus, request.memoryMb, request.diskGb,
    ]);
  }

  private async giveBack(tx: pg.PoolClient, instanceId: string): Promise<void> {
    const { rows } = await tx.query<{ host_id: string; vcpus: number; memory_mb: number; disk_gb: number }>(
      'DELETE FROM host_reservations WHERE instance_id = $1 RETURNING host_id, vcpus, memory_mb, disk_gb',
      [instanceId],
    );
    for (const r of rows) {
      await tx.query(
        `UPDATE host_resources SET reserved_vcpus = reserved_vcpus - $2, reserved_memory_mb = reserved_memory_mb - $3,
           reserved_disk_gb = reserved_disk_gb - $4 WHERE host_id = $1`,
        [r.host_id, r.vcpus, r.memory_mb, r.disk_gb],
      );
    }
  }

  private async reservationOf(instanceId: string): Promise<string | null> {
    const { rows } = await this.pool.query<{ host_id: string }>('SELECT host_id FROM host_reservations WHERE instance_id = $1', [instanceId]);
    return rows[0]?.host_id ?? null;
  }
}

/** How many hosts a placement reads: the best by rankHosts' own weights, as PostgreSQL orders them. */
export const SHORTLIST = 16;

/**
 * The scheduler's read model of a region: the UP hosts that run the request's kind and have room
 * for it, each with its capacity, ratios and what is reserved on it; with a `limit`, only that many,
 * those rankHosts puts first (the most memory, then CPU, free after placing it; then by id, byte by
 * byte: the database's collation compared ids at twice the cost of the rest).
 *
 * Without reading every host: among hosts of one shape (the same memory and CPU limits) rankHosts'
 * order is the least reserved memory, then CPU, then id, which host_resources_room holds; so the
 * best `limit` of all are among the best `limit` of each shape, read from the index shape by shape
 * (the shapes themselves found by skipping through it), then ranked together. The weights are
 * divided as float8, as JavaScript divides them. (Reading and sorting a thousand-host region's rows
 * took 3 to 9 ms, nearly all the decision; this reads a few dozen.)
 */
export async function readCandidates(sql: Sql, request: PlacementRequest, limit: number | null = SHORTLIST): Promise<HostCandidate[]> {
  const { rows } = await sql.query<CandidateRow>({
    // Named: planned once per connection.
    name: 'compute_read_candidates',
    text: `WITH RECURSIVE shapes AS (
       (SELECT memory_limit_mb, vcpus_limit FROM host_resources ORDER BY memory_limit_mb, vcpus_limit LIMIT 1)
       UNION ALL
       SELECT next.* FROM shapes s CROSS JOIN LATERAL (
         SELECT r.memory_limit_mb, r.vcpus_limit FROM host_resources r
         WHERE (r.memory_limit_mb, r.vcpus_limit) > (s.memory_limit_mb, s.vcpus_limit) ORDER BY 1, 2 LIMIT 1) next
     )
     SELECT c.* FROM shapes s CROSS JOIN LATERAL (
       SELECT h.id AS host_id, h.region_id, h.status, r.kinds, r.vcpus, r.memory_mb, r.disk_gb, r.cpu_ratio, r.memory_ratio,
              r.disk_ratio, r.reserved_vcpus, r.reserved_memory_mb, r.reserved_disk_gb, r.memory_limit_mb, r.vcpus_limit
       FROM host_resources r JOIN hosts h ON h.id = r.host_id
       WHERE r.memory_limit_mb = s.memory_limit_mb AND r.vcpus_limit = s.vcpus_limit
         AND h.region_id = $1 AND h.status = 'UP' AND $2 = ANY(r.kinds)
         AND r.reserved_vcpus + $3 <= r.vcpus_limit AND r.reserved_memory_mb + $4 <= r.memory_limit_mb AND r.reserved_disk_gb + $5 <= r.disk_limit_gb
       ORDER BY r.reserved_memory_mb, r.reserved_vcpus, r.host_id COLLATE "C"
       LIMIT $6) c
     ORDER BY (c.memory_limit_mb - c.reserved_memory_mb - $4)::float8 / nullif(c.memory_limit_mb, 0) DESC NULLS LAST,
              (c.vcpus_limit - c.reserved_vcpus - $3)::float8 / nullif(c.vcpus_limit, 0) DESC NULLS LAST, c.host_id COLLATE "C"
     LIMIT $6`,
    values: [request.regionId, request.kind, request.vcpus, request.memoryMb, request.diskGb, limit],
  });
  return rows.map((r) => ({
    hostId: r.host_id,
    regionId: r.region_id,
    status: r.status,
    kinds: r.kinds,
    capacity: { vcpus: r.vcpus, memoryMb: r.memory_mb, diskGb: r.disk_gb },
    ratios: { cpu: Number(r.cpu_ratio), memory: Number(r.memory_ratio), disk: Number(r.disk_ratio) },
    reserved: { vcpus: r.reserved_vcpus, memoryMb: r.reserved_memory_mb, diskGb: r.reserved_disk_gb },
  }));
}
