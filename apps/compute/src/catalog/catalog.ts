import path from 'node:path';
import type pg from 'pg';
import {
  AppError, type ImageView, type InstanceKind, isRfc1123Label, type Offered, type PlanView, RFC1123_LABEL_RULE, type RegionView,
} from '#libs/contracts';

const ID = /^[a-z0-9][a-z0-9._-]{0,62}$/;
const LOCATION = /^(template|dev):[a-z0-9][a-z0-9_-]{0,31}$/;

// What each read returns, listed once per table.
const REGION_COLUMNS = 'id, name, dns_zone AS "dnsZone"';
const PLAN_COLUMNS = 'id, name, kind, vcpus, memory_mb AS "memoryMb", disk_gb AS "diskGb"';
const IMAGE_COLUMNS = 'id, name, os, version, kind, location';

const SIZE_LIMITS = { vcpus: 256, memoryMb: 4 * 1024 * 1024, diskGb: 64 * 1024 };

function requireId(value: unknown): string {
  if (typeof value !== 'string' || !ID.test(value)) throw AppError.badInput('input.id', 'must be a-z, 0-9, ., _ or -, at most 63');
  return value;
}

function requireText(input: Record<string, unknown>, field: string): string {
  const value = input[field];
  if (typeof value !== 'string' || !value.trim() || value.length > 100) throw AppError.badInput(`input.${field}`, 'must be text of 1 to 100 characters');
  return value.trim();
}

function requireKind(kind: unknown): InstanceKind {
  if (kind !== 'VM' && kind !== 'CONTAINER') throw AppError.badInput('input.kind', 'must be VM or CONTAINER');
  return kind;
}

function kindFilter(kind: unknown): InstanceKind | null {
  if (kind === undefined || kind === null) return null;
  if (kind !== 'VM' && kind !== 'CONTAINER') throw AppError.badInput('kind', 'must be VM or CONTAINER');
  return kind;
}

/** Regions, plans and images: what customers choose from, and where hosts find images. */
export class Catalog {
  constructor(private readonly pool: pg.Pool) {}

  async regions(): Promise<RegionView[]> {
    const { rows } = await this.pool.query(`SELECT ${REGION_COLUMNS} FROM regions ORDER BY id`);
    return rows;
  }

  /** The plans on offer; with `retired`, also those only existing instances still have (the gateway resolves an instance's plan). */
  async plans(kind?: InstanceKind, retired = false): Promise<PlanView[]> {
    const { rows } = await this.pool.query(
      `SELECT ${PLAN_COLUMNS} FROM plans
       WHERE (active OR $2) AND ($1::text IS NULL OR kind = $1) ORDER BY kind DESC, memory_mb, id`,
      [kindFilter(kind), retired === true],
    );
    return rows;
  }

  async images(kind?: InstanceKind, retired = false): Promise<ImageView[]> {
    const { rows } = await this.pool.query(
      `SELECT ${IMAGE_COLUMNS} FROM images WHERE (active OR $2) AND ($1::text IS NULL OR kind = $1) ORDER BY kind DESC, os, version, id`,
      [kindFilter(kind), retired === true],
    );
    return rows;
  }

  /** One region, plan or image by id, active or not (instances keep what they were made with); null when unknown. */
  async region(id: string): Promise<RegionView | null> {
    const { rows } = await this.pool.query(`SELECT ${REGION_COLUMNS} FROM regions WHERE id = $1`, [id]);
    return rows[0] ?? null;
  }

  async plan(id: string): Promise<Offered<PlanView> | null> {
    const { rows } = await this.pool.query(
      `SELECT ${PLAN_COLUMNS}, active FROM plans WHERE id = $1`,
      [id],
    );
    return rows[0] ?? null;
  }

  async image(id: string): Promise<Offered<ImageView> | null> {
    const { rows } = await this.pool.query(`SELECT ${IMAGE_COLUMNS}, active FROM images WHERE id = $1`, [id]);
    return rows[0] ?? null;
  }

  /** ADMIN adds a real image (a cloud image or rootfs on a path every host of the region can read). */
  async registerImage(input: ImageView): Promise<ImageView> {
    const id = requireId(input?.id);
    const [name, os, version] = ['name', 'os', 'version'].map((field) => requireText(input as unknown as Record<string, unknown>, field));
    const kind = requireKind(input.kind);
    const location = input.location;
    const isPath = typeof location === 'string' && path.isAbsolute(location) && path.normalize(location) === location && !location.includes('\0');
    if (!isPath && !(typeof location === 'string' && LOCATION.test(location))) {
      throw AppError.badInput('input.location', 'must be a normalised absolute path, template:<name> or dev:<name>');
    }
    const { rows } = await this.pool.query(
      `INSERT INTO images (id, name, os, version, kind, location) VALUES ($1, $2, $3, $4, $5, $6)
       ON CONFLICT (id) DO NOTHING RETURNING ${IMAGE_COLUMNS}`,
      [id, name, os, version, kind, location],
    );
    if (rows.length === 0) throw AppError.conflict(`an image ${id} exists already`);
    return rows[0];
  }

  /**
   * ADMIN adds a plan or renames one. A plan's kind and size never change, because instances
   * and prices refer to it: a different size is a new plan, and the old one is retired.
   */
  async savePlan(input: PlanView): Promise<PlanView> {
    const id = requireId(input?.id);
    const name = requireText(input as unknown as Record<string, unknown>, 'name');
    const kind = requireKind(input.kind);
    for (const field of ['vcpus', 'memoryMb', 'diskGb'] as const) {
      if (!Number.isInteger(input[field]) || input[field] < 1 || input[field] > SIZE_LIMITS[field]) {
        throw AppError.badInput(`input.${field}`, `must be a whole number from 1 to ${SIZE_LIMITS[field]}`);
      }
    }
    const existing = await this.plan(id);
    if (existing && (existing.kind !== kind || existing.vcpus !== input.vcpus || existing.memoryMb !== input.memoryMb || existing.diskGb !== input.diskGb)) {
      throw AppError.conflict(`plan ${id} is ${existing.kind} ${existing.vcpus} vCPU, ${existing.memoryMb} MB, ${existing.diskGb} GB: a plan's size never changes, add a new plan`);
    }
    await this.pool.query(
      `INSERT INTO plans (id, name, kind, vcpus, memory_mb, disk_gb) VALUES ($1, $2, $3, $4, $5, $6)
       ON CONFLICT (id) DO UPDATE SET name = excluded.name, active = true`,
      [id, name, kind, input.vcpus, input.memoryMb, input.diskGb],
    );
    return { id, name, kind, vcpus: input.vcpus, memoryMb: input.memoryMb, diskGb: input.diskGb };
  }

  /** ADMIN stops offering a plan or image (false) or offers it again; instances made with it keep it. */
  async setOffered(what: 'plan' | 'image', id: unknown, offered: unknown): Promise<void> {
    if (typeof offered !== 'boolean') throw AppError.badInput('offered', 'must be true or false');
    const { rowCount } = await this.pool.query(`UPDATE ${what === 'plan' ? 'plans' : 'images'} SET active = $2 WHERE id = $1`, [String(id), offered]);
    if (rowCount === 0) throw AppError.notFound(`${what} ${String(id)}`);
  }

  /** ADMIN adds a region or changes its name or DNS zone (instances are <name>.<region>.<dnsZone>). */
  async saveRegion(input: RegionView): Promise<RegionView> {
    const id = requireId(input?.id);
    if (!isRfc1123Label(id)) throw AppError.badInput('input.id', `a region id is a DNS label: ${RFC1123_LABEL_RULE}`);
    const name = requireText(input as unknown as Record<string, unknown>, 'name');
    const dnsZone = typeof input.dnsZone === 'string' ? input.dnsZone.toLowerCase().replace(/\.$/, '') : '';
    if (dnsZone.length > 200 || !dnsZone.split('.').every(isRfc1123Label)) {
      throw AppError.badInput('input.dnsZone', 'must be a DNS name of RFC 1123 labels, e.g. cloud.example.com');
    }
    await this.pool.query(
      `INSERT INTO regions (id, name, dns_zone) VALUES ($1, $2, $3) ON CONFLICT (id) DO UPDATE SET name = excluded.name, dns_zone = excluded.dns_zone`,
      [id, name, dnsZone],
    );
    return { id, name, dnsZone };
  }
}
