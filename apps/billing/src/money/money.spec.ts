import { divideHalfEven, formatMinor, formatScaled, parseDecimal, parseMinor, toMinor, UNIT } from './money.js';

describe('money', () => {
  it('parses decimal strings exactly and names the field when it cannot', () => {
    expect(parseDecimal('0.0045', 'input.hourlyPrice')).toBe(45_000_000n);
    expect(parseDecimal('12', 'x')).toBe(12n * UNIT);
    expect(() => parseDecimal('1e-3', 'input.hourlyPrice')).toThrow(/input\.hourlyPrice/);
    expect(() => parseDecimal('-1', 'input.hourlyPrice')).toThrow(/non-negative/);
    expect(() => parseDecimal(0.1, 'input.taxRate')).toThrow(/input\.taxRate/);
    expect(() => parseDecimal('0.00000000001', 'p')).toThrow(/at most 10 decimals/);
  });

  it('rounds half to even, in both directions', () => {
    expect([5n, 15n, 25n, 35n, -5n, -15n].map((n) => divideHalfEven(n, 10n))).toEqual([0n, 2n, 2n, 4n, 0n, -2n]);
    expect(divideHalfEven(26n, 10n)).toBe(3n);
    expect(divideHalfEven(24n, 10n)).toBe(2n);
    expect(divideHalfEven(-26n, 10n)).toBe(-3n);
  });

  it('rounds to each currency its ISO 4217 minor unit', () => {
    // 1.005 EUR → 1.00 (half-even), 1.015 → 1.02; JPY has no decimals, BHD three.
    expect(formatMinor(toMinor(1005n, 1000n, 'EUR'), 'EUR')).toBe('1.00');
    expect(formatMinor(toMinor(1015n, 1000n, 'EUR'), 'EUR')).toBe('1.02');
    expect(formatMinor(toMinor(12_500n, 100n, 'JPY'), 'JPY')).toBe('125');
    expect(formatMinor(toMinor(12_345n, 10_000n, 'BHD'), 'BHD')).toBe('1.234');
    expect(formatMinor(-7n, 'EUR')).toBe('-0.07');
  });

  it('prints prices short and amounts typed by people in the currency\'s decimals', () => {
    expect(formatScaled(parseDecimal('0.00450', 'p'))).toBe('0.0045');
    expect(formatScaled(parseDecimal('4', 'p'))).toBe('4.00');
    expect(parseMinor('10.50', 'input.amount', 'EUR')).toBe(1050n);
    expect(() => parseMinor('10.505', 'input.amount', 'EUR')).toThrow(/input\.amount.*EUR/);
    expect(() => parseMinor('1.5', 'input.amount', 'JPY')).toThrow(/JPY/);
  });
});
