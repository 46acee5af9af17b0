import { DecimalCounter, decimalToNumber } from './decimal-counter.js';
import { metricsRegistry } from './process-metrics.js';

describe('a counter of exact decimal amounts', () => {
  it('sums exactly and converts only when scraped: a million cents are 10000, not 9999.99999', async () => {
    const amounts = DecimalCounter.of({ name: 'awan_test_amount_total', help: 'test', labelNames: ['currency'] });
    for (let i = 0; i < 1_000_000; i++) amounts.add({ currency: 'EUR' }, '0.01');
    amounts.add({ currency: 'JPY' }, '1200');
    amounts.add({ currency: 'JPY' }, '0.5');
    const text = await metricsRegistry.getSingleMetricAsString('awan_test_amount_total');
    expect(text).toContain('awan_test_amount_total{currency="EUR"} 10000\n');
    expect(text).toMatch(/awan_test_amount_total\{currency="JPY"\} 1200\.5$/m);
  });

  it('is one counter per name in a process, and refuses what is not a non-negative decimal', () => {
    const amounts = DecimalCounter.of({ name: 'awan_test_once_total', help: 'test', labelNames: ['currency'] });
    expect(DecimalCounter.of({ name: 'awan_test_once_total', help: 'test', labelNames: ['currency'] })).toBe(amounts);
    expect(() => amounts.add({ currency: 'EUR' }, '-1.00')).toThrow('a counted amount must be a non-negative decimal, got "-1.00"');
    expect(() => amounts.add({ currency: 'EUR' }, '1e3')).toThrow(RangeError);
  });

  it('converts units at a scale to the nearest float', () => {
    expect(decimalToNumber(5n, 3)).toBe(0.005);
    expect(decimalToNumber(123456n, 2)).toBe(1234.56);
    expect(decimalToNumber(7n, 0)).toBe(7);
  });
});
