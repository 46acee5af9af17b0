import { collectDefaultMetrics, Counter, Gauge, Histogram, Registry, type Metric } from 'prom-client';

/**
 * The process's one registry: what `GET /metrics` on its health port answers. Every metric of
 * Awan's is made through the helpers below, named `awan_…`, and carries the process's `service`
 * label; Node's own (CPU, memory, event loop, GC) are prom-client's defaults.
 */
export const metricsRegistry = new Registry();

let enabled = true;
let setUp = false;

/**
 * Names the process's metrics after its service and starts Node's default metrics, once. With
 * `enabled: false` (METRICS=off) nothing is served and the request paths skip their measurements.
 */
export function setUpProcessMetrics(service: string, options: { enabled: boolean }): void {
  enabled = options.enabled;
  metricsRegistry.setDefaultLabels({ service });
  if (setUp || !enabled) return;
  setUp = true;
  collectDefaultMetrics({ register: metricsRegistry });
}

/** Whether this process measures its requests (METRICS, read once into its ServiceConfig). */
export const metricsEnabled = (): boolean => enabled;

interface Definition<L extends string> {
  name: string;
  help: string;
  labelNames?: readonly L[];
}

/**
 * The registered metric of that name, or a new one: a module that several services of one test
 * process build (or one service builds twice) shares it rather than failing on a duplicate name.
 */
function registered<M extends Metric<string>>(name: string, make: () => M): M {
  return (metricsRegistry.getSingleMetric(name) as M | undefined) ?? make();
}

export function counter<L extends string = never>(definition: Definition<L>): Counter<L> {
  return registered(definition.name, () => new Counter({ ...definition, labelNames: definition.labelNames ?? [], registers: [metricsRegistry] }));
}

export function gauge<L extends string = never>(definition: Definition<L>): Gauge<L> {
  return registered(definition.name, () => new Gauge({ ...definition, labelNames: definition.labelNames ?? [], registers: [metricsRegistry] }));
}

export function histogram<L extends string = never>(definition: Definition<L> & { buckets: number[] }): Histogram<L> {
  return registered(definition.name, () => new Histogram({ ...definition, labelNames: definition.labelNames ?? [], registers: [metricsRegistry] }));
}

/** Request latencies, from a millisecond to the longest deadline a request is given (an agent's create: minutes). */
export const LATENCY_BUCKETS = [0.001, 0.0025, 0.005, 0.01, 0.025, 0.05, 0.1, 0.25, 0.5, 1, 2.5, 5, 10, 30, 60, 300];

/** Seconds since `start` (a `performance.now()`), for a histogram. */
export const secondsSince = (start: number): number => (performance.now() - start) / 1000;
