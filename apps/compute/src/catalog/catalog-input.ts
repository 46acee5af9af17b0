import { AppError, type InstanceKind, isIsoCurrency, isRfc1123Label, type PlanPrice, RFC1123_LABEL_RULE } from '#libs/contracts';

/**
 * The catalog's rules for what an operator types, each naming its field when it is broken. Ids
 * and names end up in file names, subjects, DNS names and billing's skus, so each has one shape.
 */

/** A plan's or image's id: also a billing sku and a file name on the hosts. */
const CATALOG_ID = /^[a-z0-9][a-z0-9._-]{0,62}$/;
const CONTROL = /[\u0000-\u001f\u007f]/;

export const SIZE_LIMITS = { vcpus: 256, memoryMb: 4 * 1024 * 1024, diskGb: 64 * 1024 } as const;
const MAX_DNS_NAME = 253;
const MAX_SOURCE = 2048;
/** Prices are exact decimals of at most 15 digits and 10 decimals, as billing keeps them. */
const DECIMAL = /^(\d{1,15})(?:\.(\d{1,10}))?$/;
const DECIMALS = 10;

export function catalogId(value: unknown, field = 'input.id'): string {
  if (typeof value !== 'string' || !CATALOG_ID.test(value)) throw AppError.badInput(field, 'must be a-z, 0-9, ., _ or -, starting with a letter or digit, at most 63');
  return value;
}

export function regionId(value: unknown, field = 'input.id'): string {
  if (!isRfc1123Label(value)) throw AppError.badInput(field, `a region id is a DNS label: ${RFC1123_LABEL_RULE}`);
  return value;
}

export function text(value: unknown, field: string): string {
  if (typeof value !== 'string' || !value.trim() || value.trim().length > 100 || CONTROL.test(value)) {
    throw AppError.badInput(field, 'must be text of 1 to 100 characters, no control characters');
  }
  return value.trim();
}

export function kind(value: unknown, field = 'input.kind'): InstanceKind {
  if (value !== 'VM' && value !== 'CONTAINER') throw AppError.badInput(field, 'must be VM or CONTAINER');
  return value;
}

/** A DNS name of RFC 1123 labels, lower case, without the root's dot: `cloud.example.com.` is `cloud.example.com`. */
export function dnsZone(value: unknown, field = 'input.dnsZone'): string {
  const zone = typeof value === 'string' ? value.toLowerCase().replace(/\.$/, '') : '';
  if (!zone || zone.length > MAX_DNS_NAME || !zone.split('.').every(isRfc1123Label)) {
    throw AppError.badInput(field, 'must be a DNS name of RFC 1123 labels, e.g. cloud.example.com');
  }
  return zone;
}

export function size(value: unknown, field: keyof typeof SIZE_LIMITS): number {
  if (!Number.isInteger(value) || (value as number) < 1 || (value as number) > SIZE_LIMITS[field]) {
    throw AppError.badInput(`input.${field}`, `must be a whole number from 1 to ${SIZE_LIMITS[field]}`);
  }
  return value as number;
}

/** A non-negative exact decimal as units of 10^-10, so prices compare without floating point. */
function decimalUnits(value: unknown, field: string): bigint {
  const match = typeof value === 'string' ? DECIMAL.exec(value.trim()) : null;
  if (!match) throw AppError.badInput(field, `must be a non-negative decimal string with at most ${DECIMALS} decimals, e.g. "0.0075"`);
  return BigInt(match[1]) * 10n ** BigInt(DECIMALS) + BigInt((match[2] ?? '').padEnd(DECIMALS, '0'));
}

/** The decimal in its one written form: no leading zeros, trailing zeros dropped but two decimals kept ("0.0045", "4.00"). */
function canonical(units: bigint): string {
  const digits = units.toString().padStart(DECIMALS + 1, '0');
  return `${digits.slice(0, -DECIMALS)}.${digits.slice(-DECIMALS).replace(/0+$/, '').padEnd(2, '0')}`;
}

/** At least one price, one per ISO 4217 currency, a month never below an hour; each in its canonical form. */
export function prices(value: unknown): PlanPrice[] {
  if (!Array.isArray(value) || value.length === 0) throw AppError.badInput('input.prices', 'must list the price in at least one currency');
  if (value.length > 50) throw AppError.badInput('input.prices', 'must list at most 50 currencies');
  const seen = new Set<string>();
  return value.map((price: Partial<PlanPrice> | null, i) => {
    const field = `input.prices[${i}]`;
    const currency = price?.currency;
    if (!isIsoCurrency(currency)) {
      throw AppError.badInput(`${field}.currency`, 'must be an ISO 4217 code such as EUR');
    }
    if (seen.has(currency)) throw AppError.badInput(`${field}.currency`, `${currency} is listed twice`);
    seen.add(currency);
    const hourly = decimalUnits(price?.hourlyPrice, `${field}.hourlyPrice`);
    const monthly = decimalUnits(price?.monthlyPrice, `${field}.monthlyPrice`);
    if (monthly < hourly) throw AppError.badInput(`${field}.monthlyPrice`, `must be at least one hour's price (${canonical(hourly)}): a month never costs less than an hour`);
    return { currency, hourlyPrice: canonical(hourly), monthlyPrice: canonical(monthly) };
  });
}

export function sha256(value: unknown): string {
  if (typeof value !== 'string' || !/^[0-9a-fA-F]{64}$/.test(value.trim())) throw AppError.badInput('input.sha256', 'must be the file\'s SHA-256 as 64 hexadecimal digits');
  return value.trim().toLowerCase();
}

const SCHEME = /^[A-Za-z][A-Za-z0-9+.-]*:/;
const PATH_SEGMENT = /^[A-Za-z0-9._+-]+$/;

/**
 * Where an image is fetched from: an http(s) URL (without credentials: the source is kept in the
 * catalog's events), or a path relative to the region's image storage that cannot leave it (no
 * `..`, no absolute path, no other scheme such as `file://`). The agent checks the path again on
 * its side, symbolic links resolved.
 */
export function imageSource(value: unknown): string {
  const field = 'input.source';
  if (typeof value !== 'string' || !value || value.length > MAX_SOURCE || /[\s\u0000-\u001f\u007f\\]/.test(value)) {
    throw AppError.badInput(field, `must be an http(s) URL or a path under the image storage, at most ${MAX_SOURCE} characters without spaces`);
  }
  if (SCHEME.test(value)) {
    let url: URL;
    try {
      url = new URL(value);
    } catch {
      throw AppError.badInput(field, 'is not a valid URL');
    }
    if (url.protocol !== 'http:' && url.protocol !== 'https:') {
      throw AppError.badInput(field, `${url.protocol}// is not fetched: give an http(s) URL, or a path relative to the image storage`);
    }
    if (!url.hostname) throw AppError.badInput(field, 'must name a host');
    if (url.username || url.password) throw AppError.badInput(field, 'must not carry credentials: it is kept in the catalog');
    return url.href;
  }
  if (value.startsWith('/')) throw AppError.badInput(field, 'a path is relative to the image storage (<AGENT_STORAGE_DIR>/images/), not absolute');
  const segments = value.split('/');
  if (segments.some((segment) => segment === '..')) throw AppError.badInput(field, 'a path must stay under the image storage: no ..');
  if (!segments.every((segment) => PATH_SEGMENT.test(segment) && segment !== '.')) {
    throw AppError.badInput(field, 'a path is names of A-Z, a-z, 0-9, ., _, + or - separated by /');
  }
  return value;
}
