import { formatAddress, formatPrefix, networkMask, parseAddress } from '#libs/contracts';

/**
 * What a per-address limit counts a caller's address as: an IPv4 address (an IPv4-mapped IPv6 one
 * too) as it is, an IPv6 one as its /64, which a single host is commonly given whole: counted by the
 * whole address, one caller would have 2^64 addresses to spread its failed sign-ins over.
 */
export function callerAddress(address: string | undefined): string {
  if (!address) return 'unknown';
  const parsed = parseAddress(address.split('%')[0]); // a zone (fe80::1%eth0) says nothing of who
  if (!parsed) return address;
  if (parsed.family === 'IPV4') return formatAddress(parsed);
  if (parsed.value >> 32n === 0xffffn) return formatAddress({ family: 'IPV4', value: parsed.value & 0xffffffffn });
  return formatPrefix({ family: 'IPV6', base: parsed.value & networkMask('IPV6', 64), length: 64 });
}
