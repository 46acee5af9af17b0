import type pg from 'pg';
import type { ImageLocation, ImageView, InstanceKind, PlanView, RegionView } from '#libs/contracts';

// What each read returns, listed once per table.
const REGION_COLUMNS = 'id, name, dns_zone AS "dnsZone"';
const PLAN_COLUMNS = 'id, name, kind, vcpus, memory_mb AS "memoryMb", disk_gb AS "diskGb", retired';
const IMAGE_COLUMNS = `id, name, os, version, kind, status, size_mb AS "sizeMb", virtual_size_mb AS "virtualSizeMb", failure_reason AS "failureReason"`;

/** The catalog projection's SQL: regions, plans, images and where each region's hosts find an image. */
export class CatalogRepository {
  constructor(private readonly pool: pg.Pool) {}

  async regions(): Promise<RegionView[]> {
    const { rows } = await this.pool.query<RegionView>(`SELECT ${REGION_COLUMNS} FROM regions ORDER BY id`);
    return rows;
  }

  async region(id: string): Promise<RegionView | null> {
    const { rows } = await this.pool.query<RegionView>(`SELECT ${REGION_COLUMNS} FROM regions WHERE id = $1`, [id]);
    return rows[0] ?? null;
  }

  /** The plans on offer, of `kind` or both; `withRetired` adds the retired ones. */
  async plans(kind: InstanceKind | null, withRetired: boolean): Promise<PlanView[]> {
    const { rows } = await this.pool.query<PlanView>(
      `SELECT ${PLAN_COLUMNS} FROM plans WHERE (NOT retired OR $2) AND ($1::text IS NULL OR kind = $1) ORDER BY kind DESC, memory_mb, id`,
      [kind, withRetired],
    );
    return rows;
  }

  async plan(id: string): Promise<PlanView | null> {
    const { rows } = await this.pool.query<PlanView>(`SELECT ${PLAN_COLUMNS} FROM plans WHERE id = $1`, [id]);
    return rows[0] ?? null;
  }

  /** The AVAILABLE images, of `kind` or both; `withUnavailable` adds those importing, failed or retired. */
  async images(kind: InstanceKind | null, withUnavailable: boolean): Promise<ImageView[]> {
    const { rows } = await this.pool.query<ImageView>(
      `SELECT ${IMAGE_COLUMNS} FROM images WHERE (status = 'AVAILABLE' OR $2) AND ($1::text IS NULL OR kind = $1) ORDER BY kind DESC, os, version, id`,
      [kind, withUnavailable],
    );
    return rows;
  }

  async image(id: string): Promise<ImageView | null> {
    const { rows } = await this.pool.query<ImageView>(`SELECT ${IMAGE_COLUMNS} FROM images WHERE id = $1`, [id]);
    return rows[0] ?? null;
  }

  /** Where the hosts of `regionId` find an image: its region's import, else where an image from before imports is; null where neither. */
  async imageLocation(imageId: string, regionId: string): Promise<ImageLocation | null> {
    const { rows } = await this.pool.query<{ kind: InstanceKind; location: string | null }>(
      `SELECT i.kind, coalesce(l.location, i.location) AS location
       FROM images i LEFT JOIN image_locations l ON l.image_id = i.id AND l.region_id = $2 WHERE i.id = $1`,
      [imageId, regionId],
    );
    const found = rows[0];
    return found?.location ? { kind: found.kind, location: found.location } : null;
  }
}
