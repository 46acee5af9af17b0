import { Counter } from 'prom-client';
import { metricsRegistry } from './process-metrics.js';

const DECIMAL = /^(\d+)(?:\.(\d+))?$/;

interface Definition<L extends string> {
  name: string;
  help: string;
  labelNames: readonly L[];
}

interface Sum<L extends string> {
  labels: Partial<Record<L, string>>;
  /** The exact sum in units of 10^-scale. */
  units: bigint;
  scale: number;
}

const counters = new Map<string, DecimalCounter<string>>();

/** `units` × 10^-scale as the nearest float: the only inexact step, taken when scraped. */
export function decimalToNumber(units: bigint, scale: number): number {
  const digits = units.toString().padStart(scale + 1, '0');
  return Number(scale === 0 ? digits : `${digits.slice(0, -scale)}.${digits.slice(-scale)}`);
}

/**
 * A counter of exact decimal amounts (money, as decimal strings): each series sums exactly, and
 * becomes a Prometheus float only when scraped, so a million cents add up to 10000 and not to
 * 9999.999999999.
 */
export class DecimalCounter<L extends string> {
  private readonly sums = new Map<string, Sum<L>>();

  private constructor(definition: Definition<L>) {
    const sums = this.sums;
    new Counter<L>({
      ...definition,
      registers: [metricsRegistry],
      collect() {
        this.reset();
        for (const sum of sums.values()) this.inc(sum.labels, decimalToNumber(sum.units, sum.scale));
      },
    });
  }

  /** The counter of that name, made once per process (several modules of one test process share it). */
  static of<L extends string>(definition: Definition<L>): DecimalCounter<L> {
    const made = (counters.get(definition.name) as DecimalCounter<L> | undefined) ?? new DecimalCounter(definition);
    counters.set(definition.name, made);
    return made;
  }

  /** Adds a non-negative decimal string ("12.30"); anything else is a RangeError, as a counter only goes up. */
  add(labels: Partial<Record<L, string>>, amount: string): void {
    const match = DECIMAL.exec(amount);
    if (!match) throw new RangeError(`a counted amount must be a non-negative decimal, got "${amount}"`);
    const fraction = match[2] ?? '';
    const key = JSON.stringify(Object.entries(labels).sort());
    const sum = this.sums.get(key) ?? { labels, units: 0n, scale: 0 };
    const scale = Math.max(sum.scale, fraction.length);
    sum.units = sum.units * 10n ** BigInt(scale - sum.scale) + BigInt(match[1] + fraction) * 10n ** BigInt(scale - fraction.length);
    sum.scale = scale;
    this.sums.set(key, sum);
  }
}
