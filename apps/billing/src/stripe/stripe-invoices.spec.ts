import { stripeAmount } from './stripe-invoices.js';

describe("amounts as Stripe takes them, from Awan's minor units (ISO 4217's)", () => {
  it('keeps the minor unit where Stripe shares it: cents, yen, fils in tens', () => {
    expect(stripeAmount('2400', 'EUR', 'line')).toBe(2400);
    expect(stripeAmount('-150', 'USD', 'line')).toBe(-150);
    expect(stripeAmount('1500', 'JPY', 'line')).toBe(1500);
    expect(stripeAmount('1230', 'KWD', 'line')).toBe(1230);
  });

  it('sends ISK in hundredths and MGA in whole ariary, as Stripe reads them', () => {
    // 1,500 króna: ISO's exponent is 0, Stripe's 2.
    expect(stripeAmount('1500', 'ISK', 'line')).toBe(150_000);
    // 12 ariary: 1,200 of ISO's hundredths, Stripe's zero-decimal units.
    expect(stripeAmount('1200', 'MGA', 'line')).toBe(12);
  });

  it('refuses, naming the line, an amount Stripe cannot take exactly, rather than bill another one', () => {
    expect(() => stripeAmount('1234', 'MGA', 'invoice 7 line 3')).toThrow('invoice 7 line 3: 1234 minor units of MGA is no amount Stripe takes (it takes MGA in steps of 100)');
    expect(() => stripeAmount('1234', 'KWD', 'tax')).toThrow('tax: 1234 minor units of KWD is no amount Stripe takes (it takes KWD in steps of 10)');
    expect(() => stripeAmount('12.5', 'EUR', 'line')).toThrow('line: "12.5" is not a whole number of minor units');
    expect(() => stripeAmount('90071992547409930', 'EUR', 'line')).toThrow('more than Stripe takes');
  });
});
