import { bitsOf, formatAddress, formatPrefix, isRfc1123Label, networkMask, parseCidr, type IpAddress, type IpPrefix } from '#libs/contracts';

/**
 * What network does with prefixes beyond reading and writing them (libs/contracts' ip-addresses):
 * a pool's or rule's prefix held to being a network address, sizes, overlaps and the reverse-DNS
 * names. Plain functions, no I/O.
 */

/** A prefix in CIDR notation that is a network address (no host bits set), or an error saying what is wrong with it. */
export function parsePrefix(text: unknown): IpPrefix | { error: string } {
  const cidr = parseCidr(text);
  if ('error' in cidr) return cidr;
  const { address: { family, value }, length } = cidr;
  const base = value & networkMask(family, length);
  if (base !== value) return { error: `is not a network address: the host bits are set (the network is ${formatPrefix({ family, base, length })})` };
  return { family, base, length };
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
