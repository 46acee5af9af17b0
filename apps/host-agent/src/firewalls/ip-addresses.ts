/**
 * Addresses as numbers. What a ruleset says of an address is printed from its parsed value, never
 * copied from the text it came in: no text outside an address's own characters reaches nft.
 */
export interface IpAddress {
  family: 4 | 6;
  value: bigint;
}

export interface IpPrefix extends IpAddress {
  length: number;
}

const bits = (family: 4 | 6) => (family === 4 ? 32 : 128);

function parseIpv4(text: string): bigint | null {
  const parts = text.split('.');
  if (parts.length !== 4 || parts.some((part) => !/^(0|[1-9]\d{0,2})$/.test(part) || Number(part) > 255)) return null;
  return parts.reduce((value, part) => (value << 8n) | BigInt(part), 0n);
}

function parseIpv6(text: string): bigint | null {
  const halves = text.split('::');
  if (halves.length > 2) return null;
  const groupsOf = (half: string): bigint[] | null => {
    if (half === '') return [];
    const groups: bigint[] = [];
    const parts = half.split(':');
    for (const [index, part] of parts.entries()) {
      if (index === parts.length - 1 && part.includes('.')) {
        // The last 32 bits written as IPv4 (::ffff:192.0.2.1).
        const v4 = parseIpv4(part);
        if (v4 === null) return null;
        groups.push(v4 >> 16n, v4 & 0xffffn);
      } else if (/^[0-9a-fA-F]{1,4}$/.test(part)) {
        groups.push(BigInt(`0x${part}`));
      } else {
        return null;
      }
    }
    return groups;
  };
  const head = groupsOf(halves[0]);
  const tail = halves.length === 2 ? groupsOf(halves[1]) : [];
  if (!head || !tail) return null;
  const missing = 8 - head.length - tail.length;
  if (halves.length === 2 ? missing < 1 : missing !== 0) return null;
  return [...head, ...Array<bigint>(missing).fill(0n), ...tail].reduce((value, group) => (value << 16n) | group, 0n);
}

/** An IPv4 or IPv6 address without a prefix length (no zone either); null for anything else. */
export function parseIp(text: unknown): IpAddress | null {
  if (typeof text !== 'string' || text.length > 45) return null;
  const v4 = parseIpv4(text);
  if (v4 !== null) return { family: 4, value: v4 };
  const v6 = text.includes(':') ? parseIpv6(text) : null;
  return v6 === null ? null : { family: 6, value: v6 };
}

/** `address/length`, host bits cleared (198.51.100.7/24 is 198.51.100.0/24); null for anything else. */
export function parsePrefix(text: unknown): IpPrefix | null {
  if (typeof text !== 'string') return null;
  const [address, length, ...rest] = text.split('/');
  const ip = parseIp(address);
  if (!ip || rest.length > 0 || !/^(0|[1-9]\d{0,2})$/.test(length ?? '') || Number(length) > bits(ip.family)) return null;
  const hostBits = BigInt(bits(ip.family) - Number(length));
  return { ...ip, value: (ip.value >> hostBits) << hostBits, length: Number(length) };
}

/** The address as nft and people write it: dotted IPv4, IPv6 in its shortest form (RFC 5952). */
export function formatIp({ family, value }: IpAddress): string {
  if (family === 4) return [24n, 16n, 8n, 0n].map((shift) => String((value >> shift) & 0xffn)).join('.');
  const groups = Array.from({ length: 8 }, (_, index) => Number((value >> BigInt(112 - 16 * index)) & 0xffffn));
  let best = { start: -1, length: 1 };
  for (let start = 0; start < 8; ) {
    let end = start;
    while (end < 8 && groups[end] === 0) end++;
    if (end - start > best.length) best = { start, length: end - start };
    start = end === start ? start + 1 : end;
  }
  const hex = groups.map((group) => group.toString(16));
  if (best.start < 0) return hex.join(':');
  return `${hex.slice(0, best.start).join(':')}::${hex.slice(best.start + best.length).join(':')}`;
}

export function formatPrefix(prefix: IpPrefix): string {
  return `${formatIp(prefix)}/${prefix.length}`;
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
  return { family: 6, value: (0xfe80n << 112n) | eui64 };
}
