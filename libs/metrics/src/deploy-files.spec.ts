import { readdirSync, readFileSync, statSync } from 'node:fs';
import path from 'node:path';
import { fileURLToPath } from 'node:url';
import yaml from 'js-yaml';
import { collectDefaultMetrics, Registry } from 'prom-client';

const ROOT = fileURLToPath(new URL('../../../', import.meta.url));
const read = (file: string) => readFileSync(path.join(ROOT, file), 'utf8');

/** The production sources of apps/ and libs/ (tests and test helpers aside). */
function sources(dir: string): string[] {
  return readdirSync(path.join(ROOT, dir)).flatMap((entry) => {
    const file = path.join(dir, entry);
    if (statSync(path.join(ROOT, file)).isDirectory()) return entry === 'node_modules' || file === 'libs/testing' ? [] : sources(file);
    return /\.ts$/.test(entry) && !/\.(spec|int-spec|e2e-spec)\.ts$/.test(entry) ? [file] : [];
  });
}

/**
 * Every metric the services register: the `name: 'awan_…'` of each definition in the code (counter,
 * gauge, histogram, scrapedGauge, DecimalCounter), with a histogram's series, and Node's default metrics.
 */
async function exposedMetrics(): Promise<Set<string>> {
  const names = new Set<string>();
  for (const file of [...sources('apps'), ...sources('libs')]) {
    const text = read(file);
    for (const [, kind, name] of text.matchAll(/(histogram|counter|gauge|scrapedGauge|DecimalCounter\.of|new Gauge)(?:<[^>]*>)?\(\{\s*name: '(awan_[a-z0-9_]+)'/g)) {
      names.add(name);
      if (kind === 'histogram') for (const suffix of ['_bucket', '_count', '_sum']) names.add(name + suffix);
    }
  }
  const defaults = new Registry();
  collectDefaultMetrics({ register: defaults });
  for (const metric of await defaults.getMetricsAsJSON()) {
    names.add(metric.name);
    // prom-client's types say a numeric enum; its metrics hold the type's name.
    if ((metric.type as unknown) === 'histogram') for (const suffix of ['_bucket', '_count', '_sum']) names.add(metric.name + suffix);
  }
  return names;
}

const KEYWORDS = new Set(['by', 'without', 'on', 'ignoring', 'group_left', 'group_right', 'and', 'or', 'unless', 'bool', 'offset', 'inf', 'nan']);

/** The metric names a PromQL expression reads: what is left once labels, strings, durations, functions and keywords are taken out. */
function metricsOf(expr: string): string[] {
  const bare = expr
    .replace(/label_values\(\s*([a-zA-Z_:][a-zA-Z0-9_:]*)\s*,[^)]*\)/g, '$1') // Grafana's variable query
    .replace(/"(?:[^"\\]|\\.)*"/g, '""')
    .replace(/\{[^}]*\}/g, ' ')
    .replace(/\[[^\]]*\]/g, ' ')
    .replace(/\b(by|without|on|ignoring|group_left|group_right)\s*\([^)]*\)/g, ' ')
    .replace(/\$[a-zA-Z_]+/g, ' ');
  return [...bare.matchAll(/([a-zA-Z_:][a-zA-Z0-9_:]*)(\s*\()?/g)]
    .filter(([, name, call]) => !call && !KEYWORDS.has(name.toLowerCase()))
    .map(([, name]) => name);
}

interface Panel {
  id: number;
  type: string;
  title: string;
  gridPos: { h: number; w: number; x: number; y: number };
  datasource?: { type: string; uid: string };
  targets?: { refId: string; expr: string }[];
}

describe("deploy/'s Grafana dashboard and Prometheus alert rules", () => {
  let exposed: Set<string>;
  beforeAll(async () => {
    exposed = await exposedMetrics();
  });

  it('reads the metric names out of PromQL', () => {
    expect(metricsOf('histogram_quantile(0.95, sum by (le, kind) (rate(awan_instance_provisioning_seconds_bucket{kind="VM"}[5m]))) > 5')).toEqual([
      'awan_instance_provisioning_seconds_bucket',
    ]);
    expect(metricsOf('awan_db_pool_connections{state="in_use"} / ignoring(state) awan_db_pool_max_connections > 0.9')).toEqual([
      'awan_db_pool_connections', 'awan_db_pool_max_connections',
    ]);
    expect(metricsOf('up{job=~"awan.*"} == 0 and on(instance) awan_service_healthy')).toEqual(['up', 'awan_service_healthy']);
    expect(metricsOf('label_values(process_start_time_seconds, service)')).toEqual(['process_start_time_seconds']);
  });

  it('is a Grafana dashboard whose every panel queries Prometheus for metrics the services expose', () => {
    const dashboard = JSON.parse(read('deploy/grafana/awan.json')) as {
      uid: string; title: string; schemaVersion: number; panels: Panel[]; templating: { list: { name: string; type: string; query: unknown }[] };
    };
    expect(dashboard).toMatchObject({ uid: expect.any(String), title: 'Awan', schemaVersion: expect.any(Number) });
    expect(new Set(dashboard.panels.map((panel) => panel.id)).size).toBe(dashboard.panels.length);
    const graphs = dashboard.panels.filter((panel) => panel.type !== 'row');
    expect(graphs.length).toBeGreaterThan(20);
    const unknown: string[] = [];
    for (const panel of graphs) {
      expect(panel).toMatchObject({ title: expect.any(String), datasource: { type: 'prometheus' }, gridPos: { w: expect.any(Number), h: expect.any(Number) } });
      expect(panel.gridPos.x + panel.gridPos.w).toBeLessThanOrEqual(24);
      expect(panel.targets!.length).toBeGreaterThan(0);
      for (const target of panel.targets!) {
        const names = metricsOf(target.expr);
        expect({ panel: panel.title, names: names.length }).not.toEqual({ panel: panel.title, names: 0 });
        unknown.push(...names.filter((name) => !exposed.has(name) && name !== 'up').map((name) => `${panel.title}: ${name}`));
      }
    }
    for (const variable of dashboard.templating.list.filter((v) => v.type === 'query')) {
      const query = (variable.query as { query: string }).query;
      unknown.push(...metricsOf(query).filter((name) => !exposed.has(name)).map((name) => `$${variable.name}: ${name}`));
    }
    expect(unknown).toEqual([]);
  });

  it('are Prometheus alert rules, for what the README lists, on metrics the services expose', () => {
    const rules = yaml.safeLoad(read('deploy/prometheus/alerts.yml')) as { groups: { name: string; rules: Record<string, unknown>[] }[] };
    const all = rules.groups.flatMap((group) => group.rules);
    expect(all.map((rule) => rule.alert)).toEqual([
      'AwanServiceDown', 'AwanServiceUnhealthy', 'AwanHostDown', 'AwanRelayLagging', 'AwanDeadLetters', 'AwanDatabasePoolSaturated', 'AwanLinkMailsFailing',
      'AwanProvisioningSlow',
    ]);
    const unknown: string[] = [];
    for (const rule of all) {
      expect(rule).toEqual({
        alert: expect.stringMatching(/^Awan[A-Za-z]+$/),
        expr: expect.any(String),
        ...(rule.for === undefined ? {} : { for: expect.stringMatching(/^\d+[smhd]$/) }),
        labels: { severity: expect.stringMatching(/^(critical|warning)$/) },
        annotations: { summary: expect.any(String), description: expect.any(String) },
      });
      const names = metricsOf(rule.expr as string);
      expect(names.length).toBeGreaterThan(0);
      // `up` is Prometheus's own: whether it could scrape the service at all.
      unknown.push(...names.filter((name) => !exposed.has(name) && name !== 'up').map((name) => `${rule.alert}: ${name}`));
    }
    expect(unknown).toEqual([]);
  });
});
