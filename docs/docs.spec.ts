import { readdirSync, readFileSync, statSync } from 'node:fs';
import path from 'node:path';
import { fileURLToPath } from 'node:url';
import { readServiceConfig } from '#libs/platform';
import { readAgentConfig } from '../apps/host-agent/src/host/agent-config.js';
import { APPS } from '../scripts/services.js';
import { examplesOf, orderProblems } from './doc-examples.js';

const ROOT = path.resolve(path.dirname(fileURLToPath(import.meta.url)), '..');
const read = (file: string) => readFileSync(path.join(ROOT, file), 'utf8');
/** The pages a reader of the repository follows: the README and everything under docs/. */
const PAGES = ['README.md', ...readdirSync(path.join(ROOT, 'docs')).filter((f) => f.endsWith('.md')).map((f) => `docs/${f}`)];

/** A Markdown page without its fenced blocks and inline code, where links and headings are. */
function prose(markdown: string): string[] {
  const lines: string[] = [];
  let fenced = false;
  for (const line of markdown.split('\n')) {
    if (/^\s*```/.test(line)) fenced = !fenced;
    else if (!fenced) lines.push(line.replace(/`[^`]*`/g, ''));
  }
  return lines;
}

/** The anchors GitHub gives a page's headings: lower case, punctuation dropped, spaces as dashes, repeats numbered. */
function anchorsOf(markdown: string): Set<string> {
  const seen = new Map<string, number>();
  const anchors = new Set<string>();
  for (const line of prose(markdown.replace(/`([^`]*)`/g, '$1'))) {
    const heading = /^#{1,6} (.+)$/.exec(line)?.[1];
    if (!heading) continue;
    const slug = heading.trim().toLowerCase().replace(/[^\p{L}\p{N} _-]/gu, '').replace(/ /g, '-');
    const count = seen.get(slug) ?? 0;
    seen.set(slug, count + 1);
    anchors.add(count === 0 ? slug : `${slug}-${count}`);
  }
  return anchors;
}

describe('the documentation in the repository', () => {
  it.each(PAGES)('%s links only to what the repository holds (files, and headings in them) or to the web', (page) => {
    const broken: string[] = [];
    for (const line of prose(read(page))) {
      for (const [, target] of line.matchAll(/\]\(([^)\s]+)\)/g)) {
        if (/^(https?|mailto):/.test(target)) continue;
        const [file, anchor] = target.split('#');
        const resolved = file ? path.normalize(path.join(path.dirname(page), file)) : page;
        if (resolved.startsWith('..') || path.isAbsolute(resolved)) {
          broken.push(`${target}: outside the repository`);
          continue;
        }
        let exists = false;
        try {
          exists = statSync(path.join(ROOT, resolved)).isFile() || statSync(path.join(ROOT, resolved)).isDirectory();
        } catch {
          exists = false;
        }
        if (!exists) broken.push(`${target}: no ${resolved}`);
        else if (anchor && resolved.endsWith('.md') && !anchorsOf(read(resolved)).has(anchor)) broken.push(`${target}: no heading #${anchor} in ${resolved}`);
      }
    }
    expect(broken).toEqual([]);
  });

  it("runs docs/api.md's and docs/operations.md's examples in an order where each reads only what an earlier one set", () => {
    const api = examplesOf('docs/api.md', read('docs/api.md'));
    const operations = examplesOf('docs/operations.md', read('docs/operations.md'));
    expect(orderProblems([...api, ...operations])).toEqual([]);
    expect(api.filter((e) => e.kind === 'sh').length).toBeGreaterThan(10);
    expect(api.filter((e) => e.kind === 'graphql').every((e) => e.text.includes('{'))).toBe(true);
    // The test stands in for an ended month before this section (docs.e2e-spec.ts): it must be there.
    expect(api.some((e) => e.section === 'Finance closes a month')).toBe(true);
  });

  it('refuses a block that is no kind of example, and a graphql block that names no key', () => {
    expect(() => examplesOf('x.md', '## S\n\n```python\nprint(1)\n```\n')).toThrow('x.md:3 (S): a ```python block is no kind of example');
    expect(orderProblems(examplesOf('x.md', '## S\n\n```graphql\n{ me { id } }\n```\n'))).toEqual(['x.md:3 (S): its first line must say whose key sends it (# as $NAME)']);
    expect(orderProblems(examplesOf('x.md', '## S\n\n```sh\necho "$B"\n```\n\n```sh\nB=1\n```\n'))).toEqual(['x.md:3 (S) reads $B, which no earlier example sets']);
  });

  it("deploy/awan-agent.env.example holds only variables the host agent reads, and the agent takes its values", () => {
    const lines = read('deploy/awan-agent.env.example').split('\n');
    const settings = lines.flatMap((line) => {
      const match = /^#?([A-Z][A-Z0-9_]*)=(.*)$/.exec(line);
      return match ? [{ name: match[1], value: match[2], commented: line.startsWith('#') }] : [];
    });
    const readNames = new Set<string>();
    // Every setting, the commented ones too; NATS_CREDENTIALS names a file of the host's, not read here.
    const env = new Proxy(Object.fromEntries(settings.map((s) => [s.name, s.name === 'NATS_CREDENTIALS' ? '' : s.value])), {
      get(target, name) {
        if (typeof name === 'string') readNames.add(name);
        return target[name as string];
      },
    }) as NodeJS.ProcessEnv;
    const config = readAgentConfig(env);
    readServiceConfig('host-agent', { variable: 'PORT', default: 4004 }, env);
    expect(settings.map((s) => s.name).filter((name) => !readNames.has(name))).toEqual([]);
    expect(config).toMatchObject({ hostId: 'hv1', regionId: 'fra1', storageDir: '/srv/awan/storage', backupStoreDir: '/srv/awan/backups' });
    // A commented line is the agent's default as it stands.
    const defaults = readAgentConfig({});
    for (const { name, value } of settings.filter((s) => s.commented && /_MS$/.test(s.name))) {
      const key = { HEARTBEAT_INTERVAL_MS: 'heartbeatIntervalMs', FENCE_TIMEOUT_MS: 'fenceTimeoutMs', STOP_TIMEOUT_MS: 'stopTimeoutMs' }[name] as keyof typeof defaults;
      expect([name, defaults[key]]).toEqual([name, Number(value)]);
    }
  });

  it('deploy/awan-agent.service starts the agent as the build makes it, with its environment file, and leaves the instances running when it stops', () => {
    const unit = read('deploy/awan-agent.service');
    const entry = APPS.find((app) => app.name === 'host-agent')!.entry;
    expect(unit).toMatch(new RegExp(`^ExecStart=\\S*node /opt/awan/${entry.replace(/\./g, '\\.')}$`, 'm'));
    expect(unit).toMatch(/^EnvironmentFile=\/etc\/awan\/agent\.env$/m);
    expect(unit).toMatch(/^KillMode=process$/m);
    expect(read('docs/operations.md')).toContain('/etc/awan/agent.env');
  });
});
