import { Gauge } from 'prom-client';
import { metricsRegistry } from './process-metrics.js';

/** How long a scrape waits for one source of its figures (a query, JetStream's consumer info). */
export const SCRAPE_TIMEOUT_MS = 2000;
/**
 * A reading this recent serves again: the gauges of one scrape start their reads together and share
 * the one under way, and this covers one that asks a moment after it ended.
 */
const FRESH_MS = 100;

/** The reads of the scrape under way, each bounded: the source_up gauge waits for them before it is written. */
const scraping = new Set<Promise<unknown>>();

const sourceUp = new Gauge({
  name: 'awan_metrics_source_up',
  help: 'Whether the last scrape read the source in time (1) or reported what it knew before (0).',
  labelNames: ['source'],
  registers: [metricsRegistry],
  async collect() {
    // The scrape's gauges start their reads together; a turn later every read of this scrape is under way.
    await new Promise((resolve) => setImmediate(resolve));
    await Promise.all(scraping);
  },
});

/**
 * Figures read at scrape time (a read model's counts, JetStream's view of a consumer), bounded: a
 * read that fails or takes longer than `timeoutMs` leaves the scrape with the last figures had
 * (and `awan_metrics_source_up{source}` 0), so a slow database never hangs `/metrics`. One read
 * runs at a time: a scrape that finds one under way waits for it, within its own bound.
 */
export class ScrapeReading<T> {
  private last: { value: T; at: number } | undefined;
  /** The read under way: its figures, or null when it failed. It never rejects, so a read the scrape stopped waiting for fails quietly. */
  private running: Promise<{ value: T } | null> | undefined;

  constructor(
    readonly source: string,
    private readonly read: () => Promise<T>,
    private readonly timeoutMs = SCRAPE_TIMEOUT_MS,
  ) {}

  /** The figures now, or the last ones had when they cannot be read in time (undefined before any). */
  value(): Promise<T | undefined> {
    if (this.last && performance.now() - this.last.at < FRESH_MS) return Promise.resolve(this.last.value);
    const reading = this.readInTime();
    scraping.add(reading);
    void reading.finally(() => scraping.delete(reading));
    return reading;
  }

  private async readInTime(): Promise<T | undefined> {
    this.running ??= this.read()
      .then((value) => {
        this.last = { value, at: performance.now() };
        return { value };
      }, () => null)
      .finally(() => (this.running = undefined));
    let timer: NodeJS.Timeout | undefined;
    const late = new Promise<null>((resolve) => (timer = setTimeout(() => resolve(null), this.timeoutMs)));
    const read = await Promise.race([this.running, late]);
    clearTimeout(timer);
    sourceUp.set({ source: this.source }, read ? 1 : 0);
    return read ? read.value : this.last?.value;
  }
}

/** Reports a gauge's series at scrape time: each `set` is one series' value now. */
export type GaugeSource<L extends string> = (set: (labels: Partial<Record<L, string>>, value: number) => void) => void | Promise<void>;

const sourcesOf = new WeakMap<object, Set<GaugeSource<string>>>();

/**
 * A gauge whose series are what its sources report at each scrape (a pool's connections, the
 * hosts of a read model), and nothing else: a series no source reports any more is gone. Several
 * sources may share it (two event stores of one test process). Asynchronous sources read through
 * a ScrapeReading, so they are bounded.
 */
export function scrapedGauge<L extends string>(definition: { name: string; help: string; labelNames?: readonly L[] }): {
  add(source: GaugeSource<L>): () => void;
} {
  let made = metricsRegistry.getSingleMetric(definition.name) as Gauge<L> | undefined;
  if (!made) {
    const sources = new Set<GaugeSource<string>>();
    made = new Gauge<L>({
      ...definition,
      labelNames: definition.labelNames ?? [],
      registers: [metricsRegistry],
      async collect() {
        const series: [Partial<Record<L, string>>, number][] = [];
        await Promise.all([...sources].map((source) => source((labels, value) => series.push([labels, value]))));
        this.reset();
        for (const [labels, value] of series) this.set(labels, value);
      },
    });
    sourcesOf.set(made, sources);
  }
  const sources = sourcesOf.get(made)!;
  return {
    add(source) {
      sources.add(source as GaugeSource<string>);
      return () => sources.delete(source as GaugeSource<string>);
    },
  };
}
