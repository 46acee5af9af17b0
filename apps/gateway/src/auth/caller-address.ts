import { isIPv4, isIPv6 } from 'node:net';

/**
 * What a per-address limit counts a caller's address as: an IPv4 address (an IPv4-mapped IPv6 one
 * too) as it is, an IPv6 one as its /64, which a single host is commonly given whole: counted by the
 * whole address, one caller would have 2^64 addresses to spread its failed sign-ins over.
 */
export function callerAddress(address: string | undefined): string {
  if (!address) return 'unknown';
  const mapped = /^::ffff:(\d+\.\d+\.\d+\.\d+)$/i.exec(address);
  if (mapped && isIPv4(mapped[1])) return mapped[1];
  const bare = address.split('%')[0]; // a zone (fe80::1%eth0) says nothing of who
  if (!isIPv6(bare)) return address;
  const [head, tail = ''] = bare.split('::');
  const groups = (part: string) => (part ? part.split(':') : []);
  const left = groups(head);
  const right = groups(tail);
  // An IPv4 address written in the last 32 bits (64:ff9b::198.51.100.7) is two groups' worth.
  const width = (part: string[]) => part.reduce((sum, group) => sum + (group.includes('.') ? 2 : 1), 0);
  const full = bare.includes('::') ? [...left, ...Array(8 - width(left) - width(right)).fill('0'), ...right] : left;
  return `${full.slice(0, 4).map((group) => parseInt(group, 16).toString(16)).join(':')}::/64`;
}
