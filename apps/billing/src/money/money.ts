import { AppError, isIsoCurrency } from '#libs/contracts';

/**
 * Exact money: every price and rate is a BigInt of units of 10^-SCALE, every amount a BigInt of
 * the currency's minor unit. Nothing here is ever a float.
 */
export const SCALE = 10;
export const UNIT = 10n ** BigInt(SCALE);

const DECIMAL = /^(-?)(\d{1,15})(?:\.(\d{1,10}))?$/;

/** ISO 4217 currencies whose minor unit is not the cent; every other code has two decimals. */
const MINOR_UNITS: Record<string, number> = {
  BIF: 0, CLP: 0, DJF: 0, GNF: 0, ISK: 0, JPY: 0, KMF: 0, KRW: 0, PYG: 0, RWF: 0, UGX: 0, UYI: 0, VND: 0, VUV: 0, XAF: 0, XOF: 0, XPF: 0,
  BHD: 3, IQD: 3, JOD: 3, KWD: 3, LYD: 3, OMR: 3, TND: 3,
  CLF: 4, UYW: 4,
};

export function requireCurrency(value: unknown, field: string): string {
  if (!isIsoCurrency(value)) throw AppError.badInput(field, 'must be an ISO 4217 code such as EUR');
  return value;
}

export const minorUnitsOf = (currency: string): number => MINOR_UNITS[currency] ?? 2;

/** A decimal string (at most 10 decimals) as units of 10^-SCALE; BAD_USER_INPUT naming `field` otherwise. */
export function parseDecimal(value: unknown, field: string, { allowNegative = false } = {}): bigint {
  const match = typeof value === 'string' ? DECIMAL.exec(value.trim()) : null;
  if (!match || (match[1] && !allowNegative)) {
    throw AppError.badInput(field, `must be a${allowNegative ? '' : ' non-negative'} decimal string with at most ${SCALE} decimals, e.g. "0.0075"`);
  }
  const units = BigInt(match[2]) * UNIT + BigInt((match[3] ?? '').padEnd(SCALE, '0'));
  return match[1] ? -units : units;
}

/** numerator / denominator rounded to the nearest integer, ties to even (banker's rounding). */
export function divideHalfEven(numerator: bigint, denominator: bigint): bigint {
  if (denominator < 0n) return divideHalfEven(-numerator, -denominator);
  const negative = numerator < 0n;
  const n = negative ? -numerator : numerator;
  let quotient = n / denominator;
  const twice = 2n * (n % denominator);
  if (twice > denominator || (twice === denominator && quotient % 2n === 1n)) quotient += 1n;
  return negative ? -quotient : quotient;
}

/** numerator / denominator (an amount in whole currency units) rounded once, half-even, to the currency's minor unit. */
export function toMinor(numerator: bigint, denominator: bigint, currency: string): bigint {
  return divideHalfEven(numerator * 10n ** BigInt(minorUnitsOf(currency)), denominator);
}

/** An amount in the currency's minor unit as units of 10^-SCALE, as a price is: a line's unit price of one unit of its amount. */
export const scaledOfMinor = (minor: bigint, currency: string): bigint => minor * (UNIT / 10n ** BigInt(minorUnitsOf(currency)));

/** Any decimal string ("-48.000000", "0.0060") as an exact fraction: digits over a power of ten. */
export function fractionOf(text: string): { numerator: bigint; denominator: bigint } {
  const match = /^(-?)(\d+)(?:\.(\d+))?$/.exec(text);
  if (!match) throw new Error(`${JSON.stringify(text)} is not a decimal`);
  const digits = BigInt(`${match[2]}${match[3] ?? ''}`);
  return { numerator: match[1] ? -digits : digits, denominator: 10n ** BigInt((match[3] ?? '').length) };
}

/** quantity × unitPrice (decimal strings) rounded once, half-even, to the currency's minor unit: what a line that adds up shows as its amount. */
export function productMinor(quantity: string, unitPrice: string, currency: string): bigint {
  const q = fractionOf(quantity);
  const p = fractionOf(unitPrice);
  return toMinor(q.numerator * p.numerator, q.denominator * p.denominator, currency);
}

/** A whole number of `places`-decimal units as text: 1234n, 2 → "12.34". */
export function formatUnits(units: bigint, places: number): string {
  const negative = units < 0n;
  const digits = (negative ? -units : units).toString().padStart(places + 1, '0');
  const text = places === 0 ? digits : `${digits.slice(0, -places)}.${digits.slice(-places)}`;
  return negative ? `-${text}` : text;
}

export const formatMinor = (minor: bigint, currency: string): string => formatUnits(minor, minorUnitsOf(currency));

/** A price or rate as short text: trailing zeros dropped but at least two decimals ("0.0045", "4.00"). */
export function formatScaled(units: bigint): string {
  const [whole, fraction] = formatUnits(units, SCALE).split('.');
  return `${whole}.${fraction.replace(/0+$/, '').padEnd(2, '0')}`;
}

/** An amount typed by a person, in whole currency units, as minor units; more decimals than the currency has is an error. */
export function parseMinor(value: unknown, field: string, currency: string): bigint {
  const units = parseDecimal(value, field);
  const factor = UNIT / 10n ** BigInt(minorUnitsOf(currency));
  if (units % factor !== 0n) throw AppError.badInput(field, `has more decimals than ${currency} has (${minorUnitsOf(currency)})`);
  return units / factor;
}

/** An amount billing wrote itself, as minor units: a line's, which is negative for a cap or a credit. */
export const signedMinor = (text: string, currency: string): bigint =>
  text.startsWith('-') ? -parseMinor(text.slice(1), 'amount', currency) : parseMinor(text, 'amount', currency);
