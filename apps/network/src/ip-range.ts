import { isIPv4, isIPv6 } from 'node:net';
import { isRfc1123Label, type IpFamily } from '#libs/contracts';

/**
 * IP addresses and prefixes as integers, for both families: parsing, the canonical text
 * (RFC 5952 for IPv6), and the reverse-DNS names. Plain functions, no I/O.
 */

export interface IpAddress {
  family: IpFamily;
  value: bigint;
}

export interface IpPrefix {
  family: IpFamily;
  /** The network address. */
  base: bigint;
  length: number;
}

export const bitsOf = (family: IpFamily): number => (family === 'IPV4' ? 32 : 128);

function parseIPv4(text: string): bigint {
  return text.split('.').reduce((value, octet) => (value << 8n) | BigInt(Number(octet)), 0n);
}

function parseIPv6(text: string): bigint {
  let groups = text;
  // A trailing dotted quad (::ffff:192.0.2.1) stands for the last two groups.
  const dotted = /(\d+\.\d+\.\d+\.\d+)$/.exec(groups);
  if (dotted) {
    const v4 = parseIPv4(dotted[1]);
    groups = `${groups.slice(0, dotted.index)}${(v4 >> 16n).toString(16)}:${(v4 & 0xffffn).toString(16)}`;
  }
  const [head, tail] = groups.split('::');
  const headGroups = head ? head.split(':') : [];
  const tailGroups = tail === undefined ? [] : tail ? tail.split(':') : [];
  const zeros = tail === undefined ? [] : Array(8 - headGroups.length - tailGroups.length).fill('0');
  return [...headGroups, ...zeros, ...tailGroups].reduce((value, group) => (value << 16n) | BigInt(parseInt(group, 16)), 0n);
}

/** An IPv4 or IPv6 address in any valid text form, or null. */
export function parseAddress(text: unknown): IpAddress | null {
  if (typeof text !== 'string') return null;
  if (isIPv4(text)) return { family: 'IPV4', value: parseIPv4(text) };
  if (isIPv6(text) && !text.includes('%')) return { family: 'IPV6', value: parseIPv6(text) };
  return null;
}

/** The canonical text: dotted quad, or RFC 5952 (lower case, the longest run of zero groups as ::). */
export function formatAddress({ family, value }: IpAddress): string {
  if (family === 'IPV4') return [24n, 16n, 8n, 0n].map((shift) => String((value >> shift) & 0xffn)).join('.');
  const groups = Array.from({ length: 8 }, (_, i) => Number((value >> BigInt(112 - 16 * i)) & 0xffffn));
  let best = { start: -1, length: 0 };
  for (let i = 0; i < 8; ) {
    if (groups[i] !== 0) { i++; continue; }
    let end = i;
    while (end < 8 && groups[end] === 0) end++;
    if (end - i > best.length && end - i >= 2) best = { start: i, length: end - i };
    i = end;
  }
  const hex = groups.map((g) => g.toString(16));
  if (best.start < 0) return hex.join(':');
  return `${hex.slice(0, best.start).join(':')}::${hex.slice(best.start + best.length).join(':')}`;
}

/** A prefix in CIDR notation, or an error saying what is wrong with it. */
export function parsePrefix(text: unknown): IpPrefix | { error: string } {
  const match = typeof text === 'string' ? /^([^/]+)\/(\d{1,3})$/.exec(text) : null;
  const address = match ? parseAddress(match[1]) : null;
  if (!match || !address) return { error: 'must be a prefix in CIDR notation, e.g. 192.0.2.0/24 or 2001:db8::/64' };
  const length = Number(match[2]);
  const bits = bitsOf(address.family);
  if (length > bits) return { error: `a prefix length is at most ${bits} for ${address.family}` };
  const base = address.value & networkMask(address.family, length);
  if (base !== address.value) {
    return { error: `is not a network address: the host bits are set (the network is ${formatPrefix({ family: address.family, base, length })})` };
  }
  return { family: address.family, base, length };
}

export function formatPrefix(prefix: IpPrefix): string {
  return `${formatAddress({ family: prefix.family, value: prefix.base })}/${prefix.length}`;
}

function networkMask(family: IpFamily, length: number): bigint {
  const bits = BigInt(bitsOf(family));
  return ((1n << bits) - 1n) ^ ((1n << (bits - BigInt(length))) - 1n);
}

/** How many addresses the prefix spans. */
export const sizeOf = (prefix: IpPrefix): bigint => 1n << BigInt(bitsOf(prefix.family) - prefix.length);

/** The prefix's last address (the broadcast address for IPv4). */
export const lastOf = (prefix: IpPrefix): bigint => prefix.base + sizeOf(prefix) - 1n;

export function contains(prefix: IpPrefix, address: IpAddress): boolean {
  return address.family === prefix.family && address.value >= prefix.base && address.value <= lastOf(prefix);
}

export function overlaps(a: IpPrefix, b: IpPrefix): boolean {
  return a.family === b.family && a.base <= lastOf(b) && b.base <= lastOf(a);
}

/** The PTR owner name of an address: `1.2.0.192.in-addr.arpa`, or 32 nibbles under `ip6.arpa`. */
export function reverseName(address: IpAddress): string {
  return reverseLabels(address, bitsOf(address.family)).join('.');
}

/**
 * The reverse zone that holds a prefix's PTR records, cut at the label boundary at or above
 * its length (an octet for IPv4, a nibble for IPv6): 192.0.2.0/24 → `2.0.192.in-addr.arpa`.
 */
export function reverseZone(prefix: IpPrefix): string {
  return reverseLabels({ family: prefix.family, value: prefix.base }, prefix.length).join('.');
}

function reverseLabels(address: IpAddress, significantBits: number): string[] {
  if (address.family === 'IPV4') {
    const octets = formatAddress(address).split('.').slice(0, Math.floor(significantBits / 8));
    return [...octets.reverse(), 'in-addr', 'arpa'];
  }
  const nibbles = address.value.toString(16).padStart(32, '0').split('').slice(0, Math.floor(significantBits / 4));
  return [...nibbles.reverse(), 'ip6', 'arpa'];
}

/**
 * A DNS host name for a PTR record: dot-separated RFC 1123 labels (letters, digits and -),
 * at most 253 characters, at least two labels, the last not all digits (so never an address
 * such as 1.2.3.4: RFC 1123 2.1); a trailing dot is allowed and dropped.
 * Returns the lower-case name, or null.
 */
export function normalizeHostname(text: unknown): string | null {
  if (typeof text !== 'string') return null;
  const name = text.toLowerCase().replace(/\.$/, '');
  const labels = name.split('.');
  if (name.length > 253 || labels.length < 2 || /^\d+$/.test(labels.at(-1)!)) return null;
  return labels.every(isRfc1123Label) ? name : null;
}
