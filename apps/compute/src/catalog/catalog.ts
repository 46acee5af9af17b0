import path from 'node:path';
import type pg from 'pg';
import type { InstanceKind } from '#libs/contracts';
import { AppError } from '#libs/messaging';

export interface Region {
  id: string;
  name: string;
  dnsZone: string;
}

export interface Plan {
  id: string;
  name: string;
  kind: InstanceKind;
  vcpus: number;
  memoryMb: number;
  diskGb: number;
}

export interface Image {
  id: string;
  name: string;
  os: string;
  version: string;
  kind: InstanceKind;
  location: string;
}

export interface RegisterImage extends Image {}

const ID = /^[a-z0-9][a-z0-9._-]{0,62}$/;
const LOCATION = /^(template|dev):[a-z0-9][a-z0-9_-]{0,31}$/;

function kindFilter(kind: unknown): InstanceKind | null {
  if (kind === undefined || kind === null) return null;
  if (kind !== 'VM' && kind !== 'CONTAINER') throw AppError.badInput('kind', 'must be VM or CONTAINER');
  return kind;
}

/** Regions, plans and images: what customers choose from, and where hosts find images. */
export class Catalog {
  constructor(private readonly pool: pg.Pool) {}

  async regions(): Promise<Region[]> {
    const { rows } = await this.pool.query('SELECT id, name, dns_zone AS "dnsZone" FROM regions ORDER BY id');
    return rows;
  }

  async plans(kind?: InstanceKind): Promise<Plan[]> {
    const { rows } = await this.pool.query(
      `SELECT id, name, kind, vcpus, memory_mb AS "memoryMb", disk_gb AS "diskGb" FROM plans
       WHERE active AND ($1::text IS NULL OR kind = $1) ORDER BY kind DESC, memory_mb, id`,
      [kindFilter(kind)],
    );
    return rows;
  }

  async images(kind?: InstanceKind): Promise<Image[]> {
    const { rows } = await this.pool.query(
      `SELECT id, name, os, version, kind, location FROM images WHERE active AND ($1::text IS NULL OR kind = $1) ORDER BY kind DESC, os, version, id`,
      [kindFilter(kind)],
    );
    return rows;
  }

  /** One region, plan or image by id, active or not (instances keep what they were made with); null when unknown. */
  async region(id: string): Promise<Region | null> {
    const { rows } = await this.pool.query('SELECT id, name, dns_zone AS "dnsZone" FROM regions WHERE id = $1', [id]);
    return rows[0] ?? null;
  }

  async plan(id: string): Promise<(Plan & { active: boolean }) | null> {
    const { rows } = await this.pool.query(
      'SELECT id, name, kind, vcpus, memory_mb AS "memoryMb", disk_gb AS "diskGb", active FROM plans WHERE id = $1',
      [id],
    );
    return rows[0] ?? null;
  }

  async image(id: string): Promise<(Image & { active: boolean }) | null> {
    const { rows } = await this.pool.query('SELECT id, name, os, version, kind, location, active FROM images WHERE id = $1', [id]);
    return rows[0] ?? null;
  }

  /** ADMIN adds a real image (a cloud image or rootfs on a path every host of the region can read). */
  async registerImage(input: RegisterImage): Promise<Image> {
    if (typeof input?.id !== 'string' || !ID.test(input.id)) throw AppError.badInput('input.id', 'must be a-z, 0-9, ., _ or -, at most 63');
    for (const field of ['name', 'os', 'version'] as const) {
      if (typeof input[field] !== 'string' || !input[field].trim() || input[field].length > 100) {
        throw AppError.badInput(`input.${field}`, 'must be text of 1 to 100 characters');
      }
    }
    const kind = kindFilter(input.kind);
    if (!kind) throw AppError.badInput('input.kind', 'must be VM or CONTAINER');
    const location = input.location;
    const isPath = typeof location === 'string' && path.isAbsolute(location) && path.normalize(location) === location && !location.includes('\0');
    if (!isPath && !(typeof location === 'string' && LOCATION.test(location))) {
      throw AppError.badInput('input.location', 'must be a normalised absolute path, template:<name> or dev:<name>');
    }
    const { rows } = await this.pool.query(
      `INSERT INTO images (id, name, os, version, kind, location) VALUES ($1, $2, $3, $4, $5, $6)
       ON CONFLICT (id) DO NOTHING RETURNING id, name, os, version, kind, location`,
      [input.id, input.name.trim(), input.os.trim(), input.version.trim(), kind, location],
    );
    if (rows.length === 0) throw AppError.conflict(`an image ${input.id} exists already`);
    return rows[0];
  }
}
