/**
 * Exact sums and differences of the API's decimal strings (money never passes through a float):
 * each is scaled to an integer at the most places any of them has, and the result keeps those places.
 */

const placesOf = (text: string) => text.split('.')[1]?.length ?? 0;

function scaled(text: string, places: number): bigint {
  if (!/^-?\d+(\.\d+)?$/.test(text)) throw new Error(`not a decimal: ${JSON.stringify(text)}`);
  const [whole, fraction = ''] = text.split('.');
  const sign = whole.startsWith('-') ? -1n : 1n;
  return sign * BigInt(`${whole.replace('-', '')}${fraction.padEnd(places, '0')}`);
}

function unscaled(value: bigint, places: number): string {
  const digits = (value < 0n ? -value : value).toString().padStart(places + 1, '0');
  const text = places ? `${digits.slice(0, -places)}.${digits.slice(-places)}` : digits;
  return `${value < 0n ? '-' : ''}${text}`;
}

/** The sum of exact decimal strings, with as many places as the longest ("0" for none). */
export function addDecimals(amounts: readonly string[]): string {
  const places = Math.max(0, ...amounts.map(placesOf));
  return unscaled(amounts.reduce((sum, amount) => sum + scaled(amount, places), 0n), places);
}

/** a − b of two exact decimal strings, exactly, with as many places as the longer. */
export function subtractDecimal(a: string, b: string): string {
  const places = Math.max(placesOf(a), placesOf(b));
  return unscaled(scaled(a, places) - scaled(b, places), places);
}
