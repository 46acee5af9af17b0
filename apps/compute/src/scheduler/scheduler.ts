import type pg from 'pg';
import { withTransaction } from '#libs/event-store';
import { AppError } from '#libs/messaging';
import { rankHosts, type HostCandidate, type PlacementRequest } from './placement.js';

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

/**
 * Picks a host and reserves the instance's share of it. The reservation is one conditional
 * UPDATE under the host row's lock, re-checked against the latest reservations, so
 * concurrent creates on any number of replicas never overbook a host.
 */
export class Scheduler {
  constructor(private readonly pool: pg.Pool) {}

  /** The host the instance is reserved on; the same answer for a repeated request. */
  async reserve(instanceId: string, request: PlacementRequest): Promise<string> {
    const existing = await this.reservationOf(instanceId);
    if (existing) return existing;
    for (const host of rankHosts(await this.candidates(request.regionId), request)) {
      const reserved = await withTransaction(this.pool, async (tx) => {
        const { rowCount } = await tx.query(
          `UPDATE host_resources r
           SET reserved_vcpus = reserved_vcpus + $2, reserved_memory_mb = reserved_memory_mb + $3, reserved_disk_gb = reserved_disk_gb + $4
           FROM hosts h
           WHERE r.host_id = $1 AND h.id = r.host_id AND h.status = 'UP' AND $5 = ANY(r.kinds)
             AND r.reserved_vcpus + $2 <= floor(r.vcpus * r.cpu_ratio)
             AND r.reserved_memory_mb + $3 <= floor(r.memory_mb * r.memory_ratio)
             AND r.reserved_disk_gb + $4 <= floor(r.disk_gb * r.disk_ratio)`,
          [host.hostId, request.vcpus, request.memoryMb, request.diskGb, request.kind],
        );
        if (rowCount === 0) return false; // taken meanwhile: try the next host
        await tx.query(
          'INSERT INTO host_reservations (instance_id, host_id, vcpus, memory_mb, disk_gb) VALUES ($1, $2, $3, $4, $5)',
          [instanceId, host.hostId, request.vcpus, request.memoryMb, request.diskGb],
        );
        return true;
      }).catch(async (error: { code?: string }) => {
        if (error.code === '23505') return false; // the same instance reserved concurrently
        throw error;
      });
      if (reserved) return host.hostId;
      const concurrent = await this.reservationOf(instanceId);
      if (concurrent) return concurrent;
    }
    throw new AppError('INSUFFICIENT_CAPACITY', `no host in region ${request.regionId} can take ${request.vcpus} vCPU, ${request.memoryMb} MB, ${request.diskGb} GB (${request.kind})`);
  }

  /** Gives an instance's share back; a second release finds nothing to give. */
  async release(instanceId: string): Promise<void> {
    await withTransaction(this.pool, async (tx) => {
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
    });
  }

  private async reservationOf(instanceId: string): Promise<string | null> {
    const { rows } = await this.pool.query<{ host_id: string }>('SELECT host_id FROM host_reservations WHERE instance_id = $1', [instanceId]);
    return rows[0]?.host_id ?? null;
  }

  private async candidates(regionId: string): Promise<HostCandidate[]> {
    const { rows } = await this.pool.query<CandidateRow>(
      `SELECT h.id AS host_id, h.region_id, h.status, r.kinds, r.vcpus, r.memory_mb, r.disk_gb, r.cpu_ratio, r.memory_ratio,
              r.disk_ratio, r.reserved_vcpus, r.reserved_memory_mb, r.reserved_disk_gb
       FROM hosts h JOIN host_resources r ON r.host_id = h.id WHERE h.region_id = $1 AND h.status = 'UP'`,
      [regionId],
    );
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
}
