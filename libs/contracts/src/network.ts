import type { Caller } from './caller.js';
import type { FirewallRequests, InstanceFilter } from './firewalls.js';
import type { EventMetadata } from './envelope.js';
import type { ComputeEvents, InstanceAddress, IpFamily } from './events.js';
import type { CountedPage } from './requests.js';

/** An address as the API shows it (the contract's IpAddress, with ids for what it refers to). */
export interface IpView {
  id: string;
  address: string;
  family: IpFamily;
  /** The on-link prefix length: the pool's for a shared subnet, 64 for a /64 of its own. */
  prefixLength: number;
  gateway: string;
  poolId: string;
  regionId: string;
  accountId: string;
  instanceId: string | null;
  floating: boolean;
  reverseDns: string | null;
  allocatedAt: string;
  releasedAt: string | null;
}

/** A pool as the admin API shows it, with how much of it is taken. */
export interface PoolView {
  id: string;
  regionId: string;
  family: IpFamily;
  prefix: string;
  gateway: string;
  assignmentLength: number;
  reserved: string[];
  bridge: string;
  active: boolean;
  /** Decimal strings: an IPv6 pool can hold more than a JavaScript number counts exactly. */
  usable: string;
  allocated: number;
  createdAt: string;
  /** When it stopped handing out addresses; null while it hands them out. */
  retiredAt: string | null;
}

/** An admin's new pool; its family is its prefix's. */
export interface PoolInput {
  /** An RFC 1123 label; network names the pool (a UUID) when absent. */
  id?: string;
  regionId: string;
  prefix: string;
  /** The prefix's first address when absent (`fe80::1` for a pool of /64s). */
  gateway?: string;
  /** Addresses, `first-last` ranges or prefixes inside the pool, kept out of allocation. */
  reserved?: string[];
  /** IPv6 only: 128 (one address per instance, the default) or 64 (a /64 per instance). */
  assignmentLength?: number;
  /** The host bridge the region's instances join; `awanbr0` when absent. */
  bridge?: string;
}

/**
 * Network's own events of a pool's life, on its stream `pool-<id>`: created (with its gateway and
 * reserved addresses as they were checked), and retired, after which it hands out nothing new.
 */
export interface PoolEvents {
  IpPoolCreated: {
    poolId: string;
    regionId: string;
    family: IpFamily;
    prefix: string;
    gateway: string;
    assignmentLength: number;
    reserved: string[];
    bridge: string;
  };
  IpPoolRetired: { poolId: string };
}

export interface AllocateIpInput {
  regionId: string;
  family: IpFamily;
  /** Assign the new floating address to this instance at once. */
  instanceId?: string | null;
}

/** Live addresses in the caller's scope, oldest first (released ones too when asked). */
export interface IpListRequest extends Caller {
  first?: number;
  after?: string;
  instanceId?: string;
  /** Several instances' addresses in one request: the gateway's batched lookup. */
  instanceIds?: string[];
  includeReleased?: boolean;
}

/** One address of the caller's, by id. */
export interface IpRequest extends Caller {
  id: string;
}

export interface DnsZone {
  /** Without the trailing dot, e.g. `local.awan.test` or `113.0.203.in-addr.arpa`. */
  name: string;
  kind: 'FORWARD' | 'REVERSE';
  regionId: string;
  /** For a reverse zone: the pools whose addresses it names. */
  poolIds?: string[];
}

export interface DnsRecord {
  /** The owner's full name, without the trailing dot. */
  name: string;
  type: 'A' | 'AAAA' | 'PTR';
  value: string;
  ttl: number;
}

/** A zone in the master-file format of RFC 1035, ready for an authoritative server to load. */
export interface ZoneFile {
  zone: string;
  serial: number;
  text: string;
}

/**
 * network's request-reply subjects (`network.*`): what the gateway and operators' tools send, and
 * what comes back. Addresses are tenants' and carry the caller's scope; pools and zone data are
 * the platform's (the gateway lets only ADMIN at pools).
 */
export interface NetworkRequests extends FirewallRequests {
  /**
   * Refused (BAD_USER_INPUT) where it overlaps another pool, or a route or address a live host of its
   * region uses (compute asks them); UNAVAILABLE while such a host does not answer. `metadata`: whose doing it is.
   */
  'network.pool.create': { request: { input: PoolInput; metadata?: EventMetadata }; reply: PoolView };
  'network.pool.list': { request: { regionId?: string; includeRetired?: boolean }; reply: PoolView[] };
  /** A retired pool hands out nothing new; its addresses stay until released. Retiring it again changes nothing. */
  'network.pool.retire': { request: { id: string; metadata?: EventMetadata }; reply: PoolView };

  /**
   * Compute's, its provisioner's first step of a create: the new instance's IPv4 and IPv6, allocated
   * once (asked again, the same answer) with the filter its host is to enforce, or why it has none
   * (no address left, or the instance ended meanwhile). `metadata`: the compute event that asks.
   */
  'network.instance.address': {
    request: { instance: Pick<ComputeEvents['InstanceRequested'], 'instanceId' | 'accountId' | 'regionId' | 'name'>; metadata: EventMetadata };
    reply: { addresses: InstanceAddress[]; filter: InstanceFilter } | { addresses: null; reason: string };
  };

  /** A floating address for `accountId` (one of the caller's), assigned at once when the input names an instance. */
  'network.ip.allocate': { request: Caller & { accountId: string; input: AllocateIpInput }; reply: IpView };
  /** Null for an address outside the caller's scope, as for one that does not exist. */
  'network.ip.get': { request: IpRequest; reply: IpView | null };
  'network.ip.list': { request: IpListRequest; reply: CountedPage<IpView> };
  'network.ip.assign': { request: IpRequest & { instanceId: string }; reply: IpView };
  'network.ip.unassign': { request: IpRequest; reply: IpView };
  /** Floating addresses only: an instance's own go with the instance. */
  'network.ip.release': { request: IpRequest; reply: IpView };
  /** Null or empty: the PTR record goes back to the instance's name, or none. */
  'network.ip.reverseDns.set': { request: IpRequest & { hostname: string | null }; reply: IpView };

  /** Per region a forward zone, per pool's prefix a reverse one. */
  'network.dns.zones': { request: Record<string, never>; reply: DnsZone[] };
  'network.dns.records': { request: { zone: string }; reply: DnsRecord[] };
  'network.dns.zoneFile': { request: { zone: string }; reply: ZoneFile };
}
