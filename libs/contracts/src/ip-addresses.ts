import type { IpFamily } from './events.js';

/**
 * IP addresses and prefixes as numbers, for both families, as every service reads them from
 * another's messages or a caller's input: parsed strictly (no zone, no leading zeros, nothing
 * around), and written from the parsed value in the canonical text (RFC 5952 for IPv6), so no text
 * but an address's own characters goes on into a ruleset, a record or a log. Plain functions.
 */
export interface IpAddress {
  family: IpFamily;
  value: bigint;
}

export interface IpPrefix {
  family: IpFamily;
  /** The network address: `value` with the host bits, wherever the prefix came from, as it says. */
  base: bigint;
  length: number;
}

export const bitsOf = (family: IpFamily): number => (family === 'IPV4' ? 32 : 128);

/** The mask of a prefix's `length` leading bits. */
export function networkMask(family: IpFamily, length: number): bigint {
  const bits = BigInt(bitsOf(family));
  return ((1n << bits) - 1n) ^ ((1n << (bits - BigInt(length))) - 1n);
}

const DECIMAL = /^(0|[1-9]\d{0,2})$/;

function parseIpv4(text: string): bigint | null {
  const parts = text.split('.');
  if (parts.length !== 4 || parts.some((part) => !DECIMAL.test(part) || Number(part) > 255)) return null;
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

/** An IPv4 or IPv6 address in any valid text form, without a prefix length or a zone; null for anything else. */
export function parseAddress(text: unknown): IpAddress | null {
  if (typeof text !== 'string' || text.length > 45) return null;
  const v4 = parseIpv4(text);
  if (v4 !== null) return { family: 'IPV4', value: v4 };
  const v6 = text.includes(':') ? parseIpv6(text) : null;
  return v6 === null ? null : { family: 'IPV6', value: v6 };
}

/** The canonical text: dotted quad, or RFC 5952 (lower case, the longest run of two or more zero groups as ::). */
export function formatAddress({ family, value }: IpAddress): string {
  if (family === 'IPV4') return [24n, 16n, 8n, 0n].map((shift) => String((value >> shift) & 0xffn)).join('.');
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

/**
 * `address/length` with a length its family has (no leading zeros), the address as written: host
 * bits and all, for the caller to refuse or clear. Else what is wrong with it, as a field's error.
 */
export function parseCidr(text: unknown): { address: IpAddress; length: number } | { error: string } {
  const [written, length, ...rest] = typeof text === 'string' ? text.split('/') : [];
  const address = parseAddress(written);
  if (!address || rest.length > 0 || !DECIMAL.test(length ?? '')) return { error: 'must be a prefix in CIDR notation, e.g. 192.0.2.0/24 or 2001:db8::/64' };
  const bits = bitsOf(address.family);
  if (Number(length) > bits) return { error: `a prefix length is at most ${bits} for ${address.family}` };
  return { address, length: Number(length) };
}

export function formatPrefix({ family, base, length }: IpPrefix): string {
  return `${formatAddress({ family, value: base })}/${length}`;
}
