import { networkMask, parseCidr, type IpAddress, type IpPrefix } from '#libs/contracts';

/**
 * What the agent's rulesets need of addresses beyond reading and writing them (libs/contracts'
 * ip-addresses): prefixes with their host bits cleared, MAC addresses, and the link-local address a
 * guest takes. A ruleset says of an address only what is printed from its parsed value: no text
 * outside an address's own characters reaches nft.
 */

/** `address/length`, host bits cleared (198.51.100.7/24 is 198.51.100.0/24); null for anything else. */
export function parsePrefix(text: unknown): IpPrefix | null {
  const cidr = parseCidr(text);
  if ('error' in cidr) return null;
  const { address: { family, value }, length } = cidr;
  return { family, base: value & networkMask(family, length), length };
}

/** A MAC address written `52:54:00:12:34:56` (either case) as its 48 bits; null for anything else. */
export function parseMac(text: unknown): bigint | null {
  if (typeof text !== 'string' || !/^[0-9a-fA-F]{2}(:[0-9a-fA-F]{2}){5}$/.test(text)) return null;
  return BigInt(`0x${text.replace(/:/g, '')}`);
}

export function formatMac(mac: bigint): string {
  return mac.toString(16).padStart(12, '0').replace(/(..)(?!$)/g, '$1:');
}

/** The IPv6 link-local address a guest takes from its MAC (modified EUI-64, RFC 4291). */
export function linkLocalOf(mac: bigint): IpAddress {
  const flipped = mac ^ (0x02n << 40n);
  const eui64 = ((flipped >> 24n) << 40n) | (0xfffen << 24n) | (flipped & 0xffffffn);
  return { family: 'IPV6', value: (0xfe80n << 112n) | eui64 };
}
