import { AppError, bitsOf, formatAddress, formatPrefix, type IpAddress, type IpFamily, type IpPrefix, isRfc1123Label, parseAddress, type PoolEvents, type PoolInput, RFC1123_LABEL_RULE } from '#libs/contracts';
import { contains, lastOf, overlaps, parsePrefix } from '../ip-range.js';

/**
 * A region's range of addresses, of one family. It hands out units: single addresses, or for
 * an IPv6 pool that says so, a /64 per instance (the instance takes its `::1`). Units are
 * numbered from 0 at the prefix's start; the allocator claims them by number.
 */
export interface Pool {
  id: string;
  regionId: string;
  family: IpFamily;
  prefix: IpPrefix;
  gateway: IpAddress;
  /** 32 for IPv4; 128 (one address) or 64 (a /64 each) for IPv6. */
  assignmentLength: number;
  /** As the admin gave them: addresses, `first-last` ranges or prefixes kept out of allocation. */
  reserved: string[];
  /** The bridge the region's hosts put its instances on; its host side holds the gateway. */
  bridge: string;
  active: boolean;
}

/** A new pool once it has its id (network names one the admin did not). */
export type NamedPoolInput = PoolInput & { id: string };

export const DEFAULT_BRIDGE = 'awanbr0';
/** Reserved units are rows in the lease table; past this many, a range is a reason to make the pool smaller. */
const MAX_RESERVED_UNITS = 65_536n;
/** Linux's limit is 15 bytes; the letters are kept to those an `ip` argument and a file name take as they are. */
const BRIDGE_NAME = /^[a-z0-9_-]{1,15}$/;
const LINK_LOCAL: IpPrefix = { family: 'IPV6', base: 0xfe80n << 112n, length: 10 };
/** A pool of /64s' gateway when the admin names none: link-local, as each instance's own /64 leaves no address of it to the host. */
const LINK_LOCAL_GATEWAY: IpAddress = { family: 'IPV6', value: (0xfe80n << 112n) + 1n };

const hostBits = (pool: Pick<Pool, 'family' | 'assignmentLength'>) => BigInt(bitsOf(pool.family) - pool.assignmentLength);

export const unitCount = (pool: Pool): bigint => 1n << BigInt(pool.assignmentLength - pool.prefix.length);

/** Pools of up to 2^16 units keep a row per free unit (`ip_free_units`), taken without searching; larger ones are probed at random. */
const FREE_LIST_BITS = 16;
export const isFreeListed = (pool: Pool): boolean => pool.assignmentLength - pool.prefix.length <= FREE_LIST_BITS;
/** isFreeListed of a `pools` row `p`, in SQL. */
export const FREE_LISTED_SQL = `p.assignment_length - masklen(p.prefix) <= ${FREE_LIST_BITS}`;

/** The address an instance takes from a unit: the unit's address, or `::1` of its /64. */
export function addressOfUnit(pool: Pool, unit: bigint): IpAddress {
  const start = pool.prefix.base + (unit << hostBits(pool));
  return { family: pool.family, value: hostBits(pool) === 0n ? start : start + 1n };
}

export const unitOf = (pool: Pool, address: IpAddress): bigint => (address.value - pool.prefix.base) >> hostBits(pool);

/** The prefix length an instance configures: the pool's own on a shared subnet, or its /64. */
export const onLinkLength = (pool: Pool): number => (hostBits(pool) === 0n ? pool.prefix.length : pool.assignmentLength);

/** Units never handed out: IPv4's network and broadcast addresses, IPv6's subnet-router anycast, the gateway's, the reserved. */
export function excludedUnits(pool: Pool): bigint[] {
  const units = new Set<bigint>([0n]);
  if (pool.family === 'IPV4') units.add(unitCount(pool) - 1n);
  if (contains(pool.prefix, pool.gateway)) units.add(unitOf(pool, pool.gateway));
  for (const entry of pool.reserved) {
    const [first, last] = reservedRange(pool, entry)!;
    for (let unit = unitOf(pool, first); unit <= unitOf(pool, last); unit++) units.add(unit);
  }
  return [...units].sort((a, b) => (a < b ? -1 : 1));
}

/** An address, `first-last` or a prefix inside the pool, as its first and last address; null when it is none of those. */
function reservedRange(pool: Pool, entry: string): [IpAddress, IpAddress] | null {
  const prefix = entry.includes('/') ? parsePrefix(entry) : null;
  const [from, to = from, ...more] = entry.split('-');
  const [first, last] = prefix && !('error' in prefix)
    ? [{ family: prefix.family, value: prefix.base }, { family: prefix.family, value: lastOf(prefix) }]
    : [parseAddress(from), more.length === 0 ? parseAddress(to) : null];
  if (!first || !last || first.value > last.value) return null;
  // A prefix as much as a range: its units become rows of the pool's leases.
  return contains(pool.prefix, first) && contains(pool.prefix, last) ? [first, last] : null;
}

/**
 * Checks an admin's new pool, each problem naming its field, and returns it. `others` are the
 * pools that exist: a new pool may not overlap any of them, and a region's pools share one bridge.
 * Without a gateway, the pool's gateway is its first address (`fe80::1` for a pool of /64s).
 */
export function validatePool(input: NamedPoolInput, others: readonly Pool[]): Pool {
  if (!isRfc1123Label(input?.id)) throw AppError.badInput('input.id', RFC1123_LABEL_RULE);
  if (!isRfc1123Label(input.regionId)) throw AppError.badInput('input.regionId', RFC1123_LABEL_RULE);
  const prefix = parsePrefix(input.prefix);
  if ('error' in prefix) throw AppError.badInput('input.prefix', prefix.error);
  const family = prefix.family;
  if (family === 'IPV4' && prefix.length > 30) throw AppError.badInput('input.prefix', 'an IPv4 pool is a /30 or larger');

  const assignmentLength = family === 'IPV4' ? 32 : (input.assignmentLength ?? 128);
  if (family === 'IPV4' && (input.assignmentLength ?? 32) !== 32) {
    throw AppError.badInput('input.assignmentLength', 'an IPv4 pool hands out single addresses (32)');
  }
  if (assignmentLength !== 128 && assignmentLength !== 64 && family === 'IPV6') {
    throw AppError.badInput('input.assignmentLength', 'must be 128 (one address per instance) or 64 (a /64 per instance)');
  }
  if (assignmentLength - prefix.length < 1) {
    throw AppError.badInput('input.prefix', `a pool handing out /${assignmentLength}s must be larger than /${assignmentLength}`);
  }

  const firstAddress: IpAddress = assignmentLength === 64 ? LINK_LOCAL_GATEWAY : { family, value: prefix.base + 1n };
  const gateway = input.gateway === undefined || input.gateway === null ? firstAddress : parseAddress(input.gateway);
  if (!gateway) throw AppError.badInput('input.gateway', 'must be an IP address');
  if (gateway.family !== family) throw AppError.badInput('input.gateway', `must be an ${family} address for an ${family} pool`);
  const gatewayOnLink = assignmentLength === 64 ? contains(LINK_LOCAL, gateway) : contains(prefix, gateway);
  if (!gatewayOnLink) {
    throw AppError.badInput('input.gateway', assignmentLength === 64
      ? 'for a pool of /64s the gateway is link-local (fe80::/10), e.g. fe80::1'
      : `must lie in ${formatPrefix(prefix)}`);
  }
  const bridge = input.bridge ?? DEFAULT_BRIDGE;
  if (typeof bridge !== 'string' || !BRIDGE_NAME.test(bridge)) {
    throw AppError.badInput('input.bridge', 'must be a network interface name: at most 15 of a-z, 0-9, _ and -');
  }

  const pool: Pool = {
    id: input.id, regionId: input.regionId, family, prefix, gateway, assignmentLength,
    reserved: input.reserved ?? [], bridge, active: true,
  };
  if (!Array.isArray(pool.reserved)) throw AppError.badInput('input.reserved', 'must be a list');
  let reservedUnits = 0n;
  for (const [i, entry] of pool.reserved.entries()) {
    const range = typeof entry === 'string' ? reservedRange(pool, entry) : null;
    if (!range) throw AppError.badInput(`input.reserved[${i}]`, `must be an address, first-last or prefix inside ${formatPrefix(prefix)}`);
    reservedUnits += unitOf(pool, range[1]) - unitOf(pool, range[0]) + 1n;
  }
  if (reservedUnits > MAX_RESERVED_UNITS) throw AppError.badInput('input.reserved', `reserves more than ${MAX_RESERVED_UNITS} units; make the pool smaller instead`);

  for (const other of others) {
    if (other.id === pool.id) throw AppError.conflict(`pool ${pool.id} exists`);
    if (overlaps(other.prefix, prefix)) {
      throw AppError.badInput('input.prefix', `${formatPrefix(prefix)} overlaps pool ${other.id} (${formatPrefix(other.prefix)})`);
    }
    if (other.active && other.regionId === pool.regionId && other.bridge !== bridge) {
      throw AppError.badInput('input.bridge', `region ${pool.regionId}'s pools are on bridge ${other.bridge}`);
    }
  }
  return pool;
}

/** A pool as its IpPoolCreated recorded it, and the event's data of a checked pool. */
export function poolOfCreated(data: PoolEvents['IpPoolCreated']): Pool {
  return {
    id: data.poolId, regionId: data.regionId, family: data.family, prefix: parsePrefix(data.prefix) as IpPrefix,
    gateway: parseAddress(data.gateway)!, assignmentLength: data.assignmentLength, reserved: data.reserved, bridge: data.bridge, active: true,
  };
}

export function createdOf(pool: Pool): PoolEvents['IpPoolCreated'] {
  return {
    poolId: pool.id, regionId: pool.regionId, family: pool.family, prefix: formatPrefix(pool.prefix), gateway: formatAddress(pool.gateway),
    assignmentLength: pool.assignmentLength, reserved: pool.reserved, bridge: pool.bridge,
  };
}

/** How many units the pool can hand out in all. */
export const usableUnits = (pool: Pool): bigint => unitCount(pool) - BigInt(excludedUnits(pool).length);

export const describePool = (pool: Pool) => `${pool.id} (${formatPrefix(pool.prefix)})`;
