import { metricsRegistry } from '#libs/metrics';
import { InvoicesMetrics } from './invoices.metrics.js';

describe("billing's invoice metrics", () => {
  it('counts finalized invoices and sums their totals exactly, per currency; a negative total adds no amount', async () => {
    const metrics = new InvoicesMetrics();
    for (let i = 0; i < 3; i++) metrics.finalized('EUR', '0.10');
    metrics.finalized('EUR', '-5.00');
    metrics.finalized('JPY', '1500');
    const text = await metricsRegistry.metrics();
    expect(text).toMatch(/^awan_invoices_finalized_total\{currency="EUR"\} 4$/m);
    expect(text).toMatch(/^awan_invoices_finalized_total\{currency="JPY"\} 1$/m);
    expect(text).toMatch(/^awan_invoiced_amount_total\{currency="EUR"\} 0\.3$/m);
    expect(text).toMatch(/^awan_invoiced_amount_total\{currency="JPY"\} 1500$/m);
  });
});
