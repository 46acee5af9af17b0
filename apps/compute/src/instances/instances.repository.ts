import type pg from 'pg';
import { isUuid, type InstanceKind, type InstanceStatus, type InstanceView } from '#libs/contracts';
import type { Sql } from '#libs/event-store';
import type { PlacementRequest } from '../scheduler/placement.js';
import type { InstanceState } from './instance.decider.js';

/** How long an idempotency key answers with the instance it made. */
export const IDEMPOTENCY_WINDOW = '24 hours';

/**
 * An instant as the contract's views carry it (as Date's toJSON writes it: UTC, milliseconds):
 * written by PostgreSQL, not parsed into a Date and written out again for every row of every page.
 */
const ISO_INSTANT = `'YYYY-MM-DD"T"HH24:MI:SS.MS"Z"'`;

const VIEW = `
  SELECT i.id, i.account_id AS "accountId", i.name, i.kind, i.status, i.region_id AS "regionId", i.plan_id AS "planId",
         i.image_id AS "imageId", i.billing_cycle AS "billingCycle", i.host_id AS "hostId",
         i.fqdn, i.failure_reason AS "failureReason",
         i.vcpus, i.memory_mb AS "memoryMb", i.disk_gb AS "diskGb",
         to_char(i.created_at AT TIME ZONE 'UTC', ${ISO_INSTANT}) AS "createdAt", to_char(i.updated_at AT TIME ZONE 'UTC', ${ISO_INSTANT}) AS "updatedAt",
         i.position
  FROM instances i`;

type ViewRow = InstanceView & { position: string };
const toView = ({ position: _, ...view }: ViewRow): InstanceView => view;

/** An instance of a list, with its place in the list's order (what its cursor encodes). */
export interface ListedInstance {
  position: string;
  view: InstanceView;
}

/** Which instances a list holds: each criterion null for any. */
export interface InstanceSelection {
  status: InstanceStatus | null;
  accountId: string | null;
  /** The caller's scope: null for every account. */
  accounts: string[] | null;
  ids: string[] | null;
  withDeleted: boolean;
}

/** What the guest gets at first boot, beyond its request's contract event: kept until the instance is gone. */
export interface BootConfig {
  sshKeys: string[];
  userData: string | null;
}

/** What a host needs to create the instance, before its image and network are added. */
export interface CreationRow extends BootConfig {
  name: string;
  kind: InstanceKind;
  imageId: string;
  /** Where its image is found: each region imports the catalog's images into its own storage. */
  regionId: string;
  vcpus: number;
  memoryMb: number;
  diskGb: number;
}

/**
 * The instances' rows: the `instances` projection as the API shows it, and what a create keeps
 * beside its events (boot configs, idempotency keys). Queries that belong to a transaction take it.
 */
export class InstancesRepository {
  constructor(private readonly pool: pg.Pool) {}

  async find(id: string): Promise<InstanceView | null> {
    const uuid = id.toLowerCase(); // PostgreSQL reads a uuid in either case
    if (!isUuid(uuid)) return null;
    const { rows } = await this.pool.query<ViewRow>({ name: 'instances.find', text: `${VIEW} WHERE i.id = $1`, values: [uuid] });
    return rows[0] ? toView(rows[0]) : null;
  }

  /** The instances of `ids` that exist, in no particular order. */
  async findAll(ids: string[]): Promise<InstanceView[]> {
    const { rows } = await this.pool.query<ViewRow>(`${VIEW} WHERE i.id = ANY($1::uuid[])`, [ids]);
    return rows.map(toView);
  }

  /**
   * Up to `limit` of the selected instances after `afterPosition`, in list order, each with its
   * position; and how many the selection holds, where `count` (else null, and not counted).
   */
  async list(selection: InstanceSelection, afterPosition: number, limit: number, count = true): Promise<{ entries: ListedInstance[]; total: number | null }> {
    const where = `WHERE ($1::text IS NULL OR i.status = $1) AND ($2::text IS NULL OR i.account_id = $2)
                     AND ($3::text[] IS NULL OR i.account_id = ANY($3)) AND ($4::uuid[] IS NULL OR i.id = ANY($4))
                     AND ($5 OR i.status <> 'DELETED')`;
    const params = [selection.status, selection.accountId, selection.accounts, selection.ids, selection.withDeleted];
    const [{ rows }, counted] = await Promise.all([
      this.pool.query<ViewRow>(`${VIEW} ${where} AND i.position > $6 ORDER BY i.position LIMIT $7`, [...params, afterPosition, limit]),
      count ? this.pool.query<{ total: number }>(`SELECT count(*)::integer AS total FROM instances i ${where}`, params) : null,
    ]);
    return { entries: rows.map((row) => ({ position: row.position, view: toView(row) })), total: counted ? counted.rows[0].total : null };
  }

  /** The instance an idempotency key made within the window, and what its request asked for (null for keys from before fingerprints). */
  async earlierCreate(tx: Sql, accountId: string, key: string): Promise<{ instanceId: string; fingerprint: string | null } | null> {
    const { rows } = await tx.query<{ instanceId: string; fingerprint: string | null }>(
      `SELECT instance_id AS "instanceId", fingerprint FROM instance_idempotency_keys
       WHERE account_id = $1 AND key = $2 AND created_at > now() - interval '${IDEMPOTENCY_WINDOW}'`,
      [accountId, key],
    );
    return rows[0] ?? null;
  }

  /** The key now answers with `instanceId` (an expired use of it is replaced). */
  async recordIdempotencyKey(tx: Sql, accountId: string, { key, fingerprint }: { key: string; fingerprint: string }, instanceId: string): Promise<void> {
    await tx.query(
      `INSERT INTO instance_idempotency_keys (account_id, key, instance_id, fingerprint) VALUES ($1, $2, $3, $4)
       ON CONFLICT (account_id, key) DO UPDATE SET instance_id = $3, fingerprint = $4, created_at = now()`,
      [accountId, key, instanceId, fingerprint],
    );
  }

  /** New instances' boot configs, in one statement. */
  async saveBootConfigs(tx: Sql, configs: { instanceId: string; boot: BootConfig }[]): Promise<void> {
    await tx.query(
      `INSERT INTO instance_boot_configs (instance_id, ssh_keys, user_data)
       SELECT c."instanceId", ARRAY(SELECT jsonb_array_elements_text(c."sshKeys")), c."userData"
       FROM jsonb_to_recordset($1::jsonb) AS c ("instanceId" uuid, "sshKeys" jsonb, "userData" text)`,
      [JSON.stringify(configs.map(({ instanceId, boot }) => ({ instanceId, sshKeys: boot.sshKeys, userData: boot.userData })))],
    );
  }

  async deleteBootConfig(sql: Sql, instanceId: string): Promise<void> {
    await sql.query('DELETE FROM instance_boot_configs WHERE instance_id = $1', [instanceId]);
  }

  /** The instance as its host creates it: name, kind, image, its plan's size now, and its boot config. */
  async creationOf(instanceId: string): Promise<CreationRow> {
    const { rows } = await this.pool.query<CreationRow>(
      `SELECT i.name, i.kind, i.image_id AS "imageId", i.region_id AS "regionId", i.vcpus, i.memory_mb AS "memoryMb", i.disk_gb AS "diskGb",
              coalesce(b.ssh_keys, '{}') AS "sshKeys", b.user_data AS "userData"
       FROM instances i LEFT JOIN instance_boot_configs b ON b.instance_id = i.id WHERE i.id = $1`,
      [instanceId],
    );
    return rows[0];
  }

  /** Where the instance may be placed and the share of a host its plan holds now. */
  async placementOf(instanceId: string, sql: Sql = this.pool): Promise<PlacementRequest | null> {
    const { rows } = await sql.query<PlacementRequest>(
      'SELECT region_id AS "regionId", kind, vcpus, memory_mb AS "memoryMb", disk_gb AS "diskGb" FROM instances WHERE id = $1',
      [instanceId],
    );
    return rows[0] ?? null;
  }

  /** The instances whose host is `hostId` now, deleted ones aside, each with its decider's state. */
  async onHost(hostId: string): Promise<{ id: string; state: InstanceState }[]> {
    const { rows } = await this.pool.query<{ id: string; state: InstanceState }>(
      `SELECT id, state FROM instances WHERE host_id = $1 AND status <> 'DELETED' ORDER BY position`,
      [hostId],
    );
    return rows;
  }
}
