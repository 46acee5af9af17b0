// Where a process's CPU went, from a V8 .cpuprofile (--cpu-prof, or bench/common/cpu-profile.preload.mjs):
// the share of the profiled time by package (self time: node_modules/<package>, Awan's own apps and
// libs, node's internals, the garbage collector, idle), the functions with the most self time, and
// the functions with the most inclusive time (each sample counted once per function on its stack).
// Usage: node --import tsx bench/common/cpu-profile-summary.ts <file.cpuprofile> [top (25)] [filter: a regexp of inclusive rows]
import { readFileSync } from 'node:fs';

interface ProfileNode {
  id: number;
  callFrame: { functionName: string; url: string; lineNumber: number };
  children?: number[];
}
interface Profile {
  nodes: ProfileNode[];
  startTime: number;
  endTime: number;
  samples: number[];
  timeDeltas: number[];
}

const [file, topArg, filter] = process.argv.slice(2);
if (!file) throw new Error('usage: cpu-profile-summary.ts <file.cpuprofile> [top] [filter]');
const top = Number(topArg ?? 25);
const profile = JSON.parse(readFileSync(file, 'utf8')) as Profile;

const parent = new Map<number, number>();
const byId = new Map<number, ProfileNode>();
for (const node of profile.nodes) {
  byId.set(node.id, node);
  for (const child of node.children ?? []) parent.set(child, node.id);
}

/** node_modules/<package> (scoped too), apps/<app>, libs/<lib>, node:<internal>, or the frame's own name ((garbage collector), (idle)…). */
function packageOf(url: string, name: string): string {
  if (!url) return name.startsWith('(') ? name : '(native)';
  const modules = /node_modules\/((?:@[^/]+\/)?[^/]+)/.exec(url);
  if (modules) return modules[1];
  const own = /\/(apps|libs)\/([^/]+)\//.exec(url);
  if (own) return `awan ${own[1]}/${own[2]}`;
  if (url.startsWith('node:')) return 'node:internal';
  return url;
}
const keyOf = (node: ProfileNode) => {
  const { functionName, url, lineNumber } = node.callFrame;
  const where = url ? `${url.replace(/^.*?(node_modules\/|dist\/|node:)/, '$1')}:${lineNumber + 1}` : '';
  return `${functionName || '(anonymous)'} ${where}`.trim();
};

const self = new Map<string, number>();
const packages = new Map<string, number>();
const inclusive = new Map<string, number>();
let total = 0;
let idle = 0;
profile.samples.forEach((id, i) => {
  const dt = profile.timeDeltas[i + 1] ?? 0;
  const node = byId.get(id)!;
  total += dt;
  if (node.callFrame.functionName === '(idle)') idle += dt;
  self.set(keyOf(node), (self.get(keyOf(node)) ?? 0) + dt);
  const pkg = packageOf(node.callFrame.url, node.callFrame.functionName);
  packages.set(pkg, (packages.get(pkg) ?? 0) + dt);
  const seen = new Set<string>();
  for (let at: number | undefined = id; at !== undefined; at = parent.get(at)) {
    const key = keyOf(byId.get(at)!);
    if (seen.has(key)) continue;
    seen.add(key);
    inclusive.set(key, (inclusive.get(key) ?? 0) + dt);
  }
});

const busy = total - idle;
const pct = (us: number) => `${((100 * us) / busy).toFixed(1).padStart(5)} %`;
const rows = (map: Map<string, number>, n: number, keep: (key: string) => boolean = () => true) =>
  [...map].filter(([key]) => keep(key) && key !== '(idle)').sort((a, b) => b[1] - a[1]).slice(0, n).map(([key, us]) => `  ${pct(us)}  ${key}`).join('\n');

console.log(`${file}: ${(total / 1e6).toFixed(2)} s profiled, ${(busy / 1e6).toFixed(2)} s busy (${((100 * busy) / total).toFixed(0)} %); shares below are of the busy time`);
console.log(`by package (self):\n${rows(packages, top)}`);
console.log(`functions by self time:\n${rows(self, top)}`);
const pattern = filter ? new RegExp(filter) : undefined;
console.log(`functions by inclusive time${pattern ? ` matching ${pattern}` : ''}:\n${rows(inclusive, top * 2, (key) => (pattern ? pattern.test(key) : key !== '(root)' && key !== '(program)'))}`);
