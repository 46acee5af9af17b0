import type { Caller } from './caller.js';
import type { EventMetadata } from './envelope.js';
import type { BillingCycle, ComputeEvents, InstanceKind } from './events.js';
import type { CountedPage, Page } from './requests.js';

/** The statuses of an instance, as the API's InstanceStatus enum names them. */
export const INSTANCE_STATUSES = [
  'PENDING', 'PROVISIONING', 'STARTING', 'RUNNING', 'STOPPING', 'STOPPED', 'REBOOTING', 'RESIZING', 'MIGRATING', 'DELETING', 'DELETED', 'ERROR',
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

/** A plan's kind and size never change: a different size is a new plan. */
export interface PlanView {
  id: string;
  name: string;
  kind: InstanceKind;
  vcpus: number;
  memoryMb: number;
  diskGb: number;
}

export interface ImageView {
  id: string;
  name: string;
  os: string;
  version: string;
  kind: InstanceKind;
  /** Where hosts find it: a normalised absolute path, `template:<name>` or `dev:<name>`. */
  location: string;
}

/** A plan or image with whether it is on offer; instances made with a retired one keep it. */
export type Offered<T> = T & { active: boolean };

/** The catalog's lists: what is on offer, of one kind or both; `retired` adds what only existing instances still have. */
export interface CatalogFilter {
  kind?: InstanceKind;
  retired?: boolean;
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
  'compute.instance.list': { request: InstanceListRequest; reply: CountedPage<InstanceView> };
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

  /** NOT_FOUND for an account outside the caller's scope. */
  'compute.quota.get': { request: QuotaRequest; reply: AccountQuota };
  /** ADMIN's limits for the account, in place of the defaults (QUOTA_*); FORBIDDEN for an account outside the caller's scope. */
  'compute.quota.set': { request: QuotaRequest & { limits: QuotaLimits }; reply: QuotaLimits };

  'compute.catalog.regions': { request: Record<string, never>; reply: RegionView[] };
  'compute.catalog.plans': { request: CatalogFilter; reply: PlanView[] };
  'compute.catalog.images': { request: CatalogFilter; reply: ImageView[] };
  /** A real image on a path every host of the region can read; an id taken already is CONFLICT. */
  'compute.catalog.image.register': { request: { input: ImageView }; reply: ImageView };
  'compute.catalog.image.offer': { request: { id: string; offered: boolean }; reply: Offered<ImageView> };
  /** Adds a plan or renames one; another size under a plan's id is CONFLICT. */
  'compute.catalog.plan.save': { request: { input: PlanView }; reply: PlanView };
  'compute.catalog.plan.offer': { request: { id: string; offered: boolean }; reply: Offered<PlanView> };
  /** Adds a region or changes its name or DNS zone. */
  'compute.catalog.region.save': { request: { input: RegionView }; reply: RegionView };

  /** Every host, by region and name. */
  'compute.host.list': { request: Record<string, never>; reply: HostView[] };
  /** A host in maintenance is emptied onto the region's other hosts and given nothing new. */
  'compute.host.setMaintenance': { request: { id: string; maintenance: boolean; metadata?: EventMetadata }; reply: HostView };
  /** ADMIN: credentials for a new host's agent, or new ones for a host (its earlier ones revoked). */
  'compute.host.enroll': { request: Caller & { input: EnrollHostInput }; reply: HostEnrollmentView };
  /** ADMIN: the host leaves the platform: its credentials are revoked, and it is listed no more. */
  'compute.host.retire': { request: Caller & { id: string }; reply: HostView };
}
