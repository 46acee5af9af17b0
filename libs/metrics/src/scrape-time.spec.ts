import { metricsRegistry } from './process-metrics.js';
import { ScrapeReading, scrapedGauge } from './scrape-time.js';

const sleep = (ms: number) => new Promise((resolve) => setTimeout(resolve, ms));

describe('figures read at scrape time', () => {
  it('answers within its bound when the source hangs, with the figures it had before', async () => {
    let answer: () => Promise<number> = async () => 7;
    const reads: number[] = [];
    const reading = new ScrapeReading('test-slow', () => {
      reads.push(Date.now());
      return answer();
    }, 100);
    expect(await reading.value()).toBe(7);
    await sleep(200); // past the freshness of one scrape
    answer = () => new Promise(() => undefined); // a database that never answers
    const started = performance.now();
    expect(await reading.value()).toBe(7);
    expect(performance.now() - started).toBeLessThan(500);
    expect(await metricsRegistry.getSingleMetricAsString('awan_metrics_source_up')).toContain('awan_metrics_source_up{source="test-slow"} 0');
    // The hung read is still the one under way: a second scrape does not pile another on it.
    expect(await reading.value()).toBe(7);
    expect(reads).toHaveLength(2);
  });

  it('reports a failed read as down and keeps the last figures', async () => {
    let fail = false;
    const reading = new ScrapeReading('test-failing', async () => {
      if (fail) throw new Error('connection refused');
      return 'figures';
    });
    expect(await reading.value()).toBe('figures');
    fail = true;
    await sleep(200);
    expect(await reading.value()).toBe('figures');
    expect(await metricsRegistry.getSingleMetricAsString('awan_metrics_source_up')).toContain('awan_metrics_source_up{source="test-failing"} 0');
  });

  it('shares one read among the gauges of one scrape', async () => {
    let reads = 0;
    const reading = new ScrapeReading('test-shared', async () => ++reads);
    const a = scrapedGauge({ name: 'awan_test_a', help: 'test' });
    const b = scrapedGauge({ name: 'awan_test_b', help: 'test' });
    a.add(async (set) => set({}, (await reading.value()) ?? -1));
    b.add(async (set) => set({}, (await reading.value()) ?? -1));
    const text = await metricsRegistry.metrics();
    expect(text).toMatch(/^awan_test_a 1$/m);
    expect(text).toMatch(/^awan_test_b 1$/m);
    expect(reads).toBe(1);
  });

  it('shows only the series its sources report now', async () => {
    const hosts = scrapedGauge<'host'>({ name: 'awan_test_hosts', help: 'test', labelNames: ['host'] });
    let names = ['h1', 'h2'];
    const remove = hosts.add((set) => names.forEach((host) => set({ host }, 1)));
    expect(await metricsRegistry.getSingleMetricAsString('awan_test_hosts')).toMatch(/host="h2"/);
    names = ['h1'];
    expect(await metricsRegistry.getSingleMetricAsString('awan_test_hosts')).not.toMatch(/host="h2"/);
    remove();
    expect(await metricsRegistry.getSingleMetricAsString('awan_test_hosts')).not.toMatch(/host="h1"/);
  });
});
