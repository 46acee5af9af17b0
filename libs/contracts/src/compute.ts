import type { BackupSchedule, BackupScheduleView, BackupView, RestoreBackupInput } from './backups.js';
import type { Caller } from './caller.js';
import type { ConsoleKind } from './consoles.js';
import type { EventMetadata } from './envelope.js';
import type { BillingCycle, ComputeEvents, InstanceKind } from './events.js';
import type { CountedPage, MaybeCountedPage, Page } from './requests.js';
import type { SnapshotView } from './snapshots.js';

/** The statuses of an instance, as the API's InstanceStatus enum names them. */
export const INSTANCE_STATUSES = [
  'PENDING', 'PROVISIONING', 'STARTING', 'RUNNING', 'STOPPING', 'STOPPED', 'REBOOTING', 'RESIZING', 'MIGRATING', 'RESTORING', 'DELETING', 'DELETED', 'ERROR',
] as const;
export type InstanceStatus = (typeof INSTANCE_STATUSES)[number];

export type HostStatus = 'UP' | 'DOWN' | 'MAINTENANCE';

/** An instance as compute answers with it. */
export interface InstanceView {
  id: string;
  accountId: string;
  name: string;
  kind: InstanceKind;
  status: InstanceStatus;
  regionId: string;
  planId: string;
  imageId: string;
  billingCycle: BillingCycle;
  hostId: string | null;
  /** `<name>.<regionId>.<the region's DNS zone>` */
  fqdn: string;
  failureReason: string | null;
  vcpus: number;
  memoryMb: number;
  diskGb: number;
  createdAt: string;
  updatedAt: string;
}

/** One event of an instance's history. */
export interface InstanceHistoryEntry {
  id: string;
  type: string;
  occurredAt: string;
  /** The event's data as JSON text, as the contract's InstanceEvent carries it. */
  data: string;
}

/** What a create takes: the request's own fields, and what the guest gets at first boot. */
export interface CreateInstanceInput extends Omit<ComputeEvents['InstanceRequested'], 'instanceId' | 'accountId'> {
  sshKeys?: string[] | null;
  userData?: string | null;
  /** A repeat with the same key within 24 hours answers the instance the first one made (with other parameters: CONFLICT). */
  idempotencyKey?: string | null;
}

/** `compute.instance.list`: the caller's instances, or those of `accountId` / `ids` among them. */
export interface InstanceListRequest extends Caller {
  first?: number;
  after?: string;
  status?: InstanceStatus;
  accountId?: string;
  /** Several instances by id in one request: the gateway's batched lookup (deleted ones included). */
  ids?: string[];
  /** Without a status or ids, DELETED instances are left out unless this is true. */
  includeDeleted?: boolean;
  /** false: the page alone, without its totalCount, and no count made (the caller did not ask for it). */
  count?: boolean;
}

/** A request about one instance, which must be in the caller's scope (another account's is NOT_FOUND). */
export interface InstanceRequest extends Caller {
  id: string;
}

/** A host as the API shows it (the contract's Host). */
export interface HostView {
  id: string;
  name: string;
  regionId: string;
  status: HostStatus;
  kinds: InstanceKind[];
  vcpus: number;
  memoryMb: number;
  diskGb: number;
  allocatedVcpus: number;
  allocatedMemoryMb: number;
  allocatedDiskGb: number;
  lastHeartbeatAt: string | null;
}

export interface EnrollHostInput {
  /** The host's id (HOST_ID on the host): an RFC 1123 label other than `heartbeat`. */
  id: string;
  regionId: string;
}

/** An enrolled host (DOWN, with no capacity, until its agent's first heartbeat) and its agent's NATS credentials, shown this once. */
export interface HostEnrollmentView {
  host: HostView;
  /** A `.creds` file's text: the agent's NATS_CREDENTIALS. */
  credentials: string;
}

export interface RegionView {
  id: string;
  name: string;
  dnsZone: string;
}

/** A plan's kind and size never change: a different size is a new plan. A retired plan stays with its instances but is offered for no new one. */
export interface PlanView {
  id: string;
  name: string;
  kind: InstanceKind;
  vcpus: number;
  memoryMb: number;
  diskGb: number;
  retired: boolean;
}

/** The platform's price of a plan in one currency (ISO 4217): exact decimal strings, a month at least an hour. */
export interface PlanPrice {
  currency: string;
  hourlyPrice: string;
  monthlyPrice: string;
}

/** IMPORTING while hosts fetch and check it; AVAILABLE once every region it went to has it; ERROR with the reason; RETIRED. */
export type ImageStatus = 'IMPORTING' | 'AVAILABLE' | 'ERROR' | 'RETIRED';

export interface ImageView {
  id: string;
  name: string;
  os: string;
  version: string;
  kind: InstanceKind;
  status: ImageStatus;
  /** The imported file's size; null until imported (and for images from before imports). */
  sizeMb: number | null;
  /** A VM image's disk size: a plan's disk must hold it. Null for containers and images from before imports. */
  virtualSizeMb: number | null;
  /** Why an ERROR image failed (checksum mismatch, not an image, too large, unreachable). */
  failureReason: string | null;
}

/** The catalog's lists: what is on offer, of one kind or both; `retired` adds what is not (retired plans; images retired, importing or failed). */
export interface CatalogFilter {
  kind?: InstanceKind;
  retired?: boolean;
}

export interface CreateRegionInput {
  /** An RFC 1123 label: it names subjects, DNS names and host configuration. */
  id: string;
  name: string;
  /** A DNS name: instances are `<name>.<region>.<dnsZone>`. */
  dnsZone: string;
}

export interface SavePlanInput {
  id: string;
  name: string;
  kind: InstanceKind;
  vcpus: number;
  memoryMb: number;
  diskGb: number;
  /** At least one: a plan is offered only to accounts whose currency it has a price in. */
  prices: PlanPrice[];
}

export interface RegisterImageInput {
  id: string;
  name: string;
  os: string;
  version: string;
  kind: InstanceKind;
  /** An http(s) URL, or a path relative to the region's image storage (`<AGENT_STORAGE_DIR>/images/`). */
  source: string;
  /** The file's SHA-256, hex. */
  sha256: string;
}

/**
 * The catalog's events that other services read (billing takes a plan's prices from PlanSaved),
 * on the streams `region-<id>`, `plan-<id>` and `image-<id>` (subjects `events.compute.plan.PlanSaved`…).
 */
export interface CatalogEvents {
  RegionCreated: { regionId: string; name: string; dnsZone: string };
  /** A new plan, or a new name or prices of one (its kind and size never change); each price is the platform's in its currency from now on. */
  PlanSaved: { planId: string; name: string; kind: InstanceKind; vcpus: number; memoryMb: number; diskGb: number; prices: PlanPrice[] };
  PlanRetired: { planId: string };
}

/** An account's limits on its live instances (anything not DELETED). */
export interface QuotaLimits {
  instances: number;
  vcpus: number;
  memoryMb: number;
}

export interface AccountQuota {
  accountId: string;
  limits: QuotaLimits;
  used: QuotaLimits;
}

/** A request about an account's quota: an account in the caller's scope. */
export interface QuotaRequest extends Caller {
  accountId: string;
}

/** What a region's live hosts said of a prefix a pool is to take: each host asked, and where it overlaps what a host uses. */
export interface RegionPrefixCheck {
  hostIds: string[];
  overlaps: { hostId: string; overlap: string }[];
}

/**
 * compute's request-reply subjects (`compute.*`): what the gateway and operators' tools send, and
 * what comes back. Requests about accounts' instances and quotas carry the caller's scope; the
 * catalog and hosts are the platform's (the gateway lets only ADMIN change them).
 */
export interface ComputeRequests {
  /** A new instance of `accountId`, an account the caller acts for (FORBIDDEN otherwise), scheduled on a host: PROVISIONING. */
  'compute.instance.create': { request: Caller & { accountId: string; input: CreateInstanceInput }; reply: InstanceView };
  /** null where there is no such instance in the caller's scope; a deleted one stays readable. */
  'compute.instance.get': { request: InstanceRequest; reply: InstanceView | null };
  'compute.instance.list': { request: InstanceListRequest; reply: MaybeCountedPage<InstanceView> };
  /** The instance's events, oldest first. */
  'compute.instance.history': { request: InstanceRequest & { first?: number; after?: string }; reply: Page<InstanceHistoryEntry> };
  'compute.instance.start': { request: InstanceRequest; reply: InstanceView };
  /** Graceful, then forced after the host's stop timeout; `force` skips the graceful part. */
  'compute.instance.stop': { request: InstanceRequest & { force?: boolean }; reply: InstanceView };
  'compute.instance.reboot': { request: InstanceRequest; reply: InstanceView };
  'compute.instance.resize': { request: InstanceRequest & { planId: string }; reply: InstanceView };
  'compute.instance.delete': { request: InstanceRequest; reply: InstanceView };
  /** ADMIN only (the gateway checks): to `hostId`, an UP host of the instance's region, or where the scheduler chooses. */
  'compute.instance.migrate': { request: InstanceRequest & { hostId?: string | null }; reply: InstanceView };

  /**
   * A snapshot of the instance `instanceId` (RUNNING or STOPPED, with no other operation under way: CONFLICT
   * otherwise, and beyond its account's limit of snapshots per instance), CREATING until its host has taken it.
   */
  'compute.snapshot.create': { request: Caller & { instanceId: string; name: string }; reply: SnapshotView };
  /** null where there is no such snapshot in the caller's scope; a deleted one stays readable. */
  'compute.snapshot.get': { request: Caller & { id: string }; reply: SnapshotView | null };
  /** The snapshots of these instances in the caller's scope, but DELETED ones: the gateway's batched lookup, oldest first. */
  'compute.snapshot.list': { request: Caller & { instanceIds: string[] }; reply: SnapshotView[] };
  /** Its instance (STOPPED, else CONFLICT) is RESTORING until its disk is the snapshot's, then STOPPED again. */
  'compute.snapshot.restore': { request: Caller & { id: string }; reply: InstanceView };
  /** DELETING until its host has freed its space, then DELETED. */
  'compute.snapshot.delete': { request: Caller & { id: string }; reply: SnapshotView };

  /**
   * A backup of the instance `instanceId` (RUNNING or STOPPED with no other operation under way: CONFLICT otherwise),
   * CREATING until its host has written it to the region's backup store.
   */
  'compute.backup.create': { request: Caller & { instanceId: string }; reply: BackupView };
  /** null where there is no such backup in the caller's scope; a deleted one, or one of a deleted instance, stays readable. */
  'compute.backup.get': { request: Caller & { id: string }; reply: BackupView | null };
  /** The backups in the caller's scope (of `instanceId` only, where given), deleted instances' too, but DELETED ones; newest first. */
  'compute.backup.list': { request: Caller & { first?: number; after?: string; instanceId?: string | null }; reply: CountedPage<BackupView> };
  /**
   * Without `input.name`, the backup's instance (STOPPED, else CONFLICT) is RESTORING until its disk is the backup's;
   * with it, a new instance of `accountId` (an account the caller acts for) is made from it on a host of its region.
   */
  'compute.backup.restore': { request: Caller & { id: string; accountId: string; input?: RestoreBackupInput | null }; reply: InstanceView };
  /** DELETING until a host of its region has removed it from the store, then DELETED. */
  'compute.backup.delete': { request: Caller & { id: string }; reply: BackupView };
  /** The instance's daily backups (null: none from now on; those taken stay). */
  'compute.backup.schedule.set': { request: InstanceRequest & { schedule: BackupSchedule | null }; reply: InstanceView };
  /** The schedules of these instances in the caller's scope: the gateway's batched lookup. */
  'compute.backup.schedule.list': { request: Caller & { instanceIds: string[] }; reply: BackupScheduleView[] };
  /**
   * The platform's (ADMIN, operators' tools): runs the schedules due as of `asOf` (an ISO time, now by default) that
   * have not run for that day, as compute's job does every minute; answers the backups it started.
   */
  'compute.backup.schedule.run': { request: Caller & { asOf?: string }; reply: { started: string[] } };

  /**
   * The gateway's console session `sessionId` of a RUNNING instance (CONFLICT otherwise; VNC of a container is
   * BAD_USER_INPUT): ConsoleOpened is recorded, then the instance's host attaches it; answers that host.
   */
  'compute.instance.console.open': { request: InstanceRequest & { sessionId: string; kind: ConsoleKind; apiKeyId: string }; reply: { hostId: string } };
  /** The session ended: ConsoleClosed, with how long it lasted and why (once; asked again, nothing more). */
  'compute.instance.console.close': { request: InstanceRequest & { sessionId: string; durationMs: number; reason: string }; reply: { closed: boolean } };
  /** NOT_FOUND for an account outside the caller's scope. */
  'compute.quota.get': { request: QuotaRequest; reply: AccountQuota };
  /** ADMIN's limits for the account, in place of the defaults (QUOTA_*); FORBIDDEN for an account outside the caller's scope. */
  'compute.quota.set': { request: QuotaRequest & { limits: QuotaLimits }; reply: QuotaLimits };

  'compute.catalog.regions': { request: Record<string, never>; reply: RegionView[] };
  'compute.catalog.plans': { request: CatalogFilter; reply: PlanView[] };
  'compute.catalog.images': { request: CatalogFilter; reply: ImageView[] };
  /**
   * The catalog's changes, ADMIN's: the platform's scope only (FORBIDDEN otherwise). A taken
   * region or image id is CONFLICT, and so is another kind or size under a plan's id.
   */
  'compute.catalog.region.create': { request: Caller & { input: CreateRegionInput }; reply: RegionView };
  /** Adds a plan, or renames one or changes its prices; the reply carries the prices saved. */
  'compute.catalog.plan.save': { request: Caller & { input: SavePlanInput }; reply: PlanView & { prices: PlanPrice[] } };
  'compute.catalog.plan.retire': { request: Caller & { id: string }; reply: PlanView };
  /** IMPORTING: an agent of each region with an UP host fetches and checks it (CONFLICT where no region has one). */
  'compute.catalog.image.register': { request: Caller & { input: RegisterImageInput }; reply: ImageView };
  'compute.catalog.image.retire': { request: Caller & { id: string }; reply: ImageView };

  /** Every host, by region and name; with `ids`, only those (an instance's host, looked up in batches). */
  'compute.host.list': { request: { ids?: string[] }; reply: HostView[] };
  /** A host in maintenance is emptied onto the region's other hosts and given nothing new. */
  'compute.host.setMaintenance': { request: { id: string; maintenance: boolean; metadata?: EventMetadata }; reply: HostView };
  /** ADMIN: credentials for a new host's agent, or new ones for a host (its earlier ones revoked). */
  'compute.host.enroll': { request: Caller & { input: EnrollHostInput }; reply: HostEnrollmentView };
  /** ADMIN: the host leaves the platform: its credentials are revoked, and it is listed no more. */
  'compute.host.retire': { request: Caller & { id: string }; reply: HostView };
  /**
   * Network's question before a pool is made: does `prefix` overlap what a live host (UP or in maintenance) of the
   * region uses, besides `bridge`? Every such host is asked; one that does not answer in time makes it UNAVAILABLE.
   */
  'compute.region.checkPrefix': { request: { regionId: string; prefix: string; bridge: string }; reply: RegionPrefixCheck };
}
