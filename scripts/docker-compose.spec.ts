import { readFileSync } from 'node:fs';
import path from 'node:path';
import { fileURLToPath } from 'node:url';
import yaml from 'js-yaml';
import { APPS } from './services.js';

interface ComposeService {
  image?: string;
  command?: string[];
  profiles?: string[];
  restart?: string;
  environment?: Record<string, string>;
  ports?: string[];
  deploy?: { replicas?: number };
  healthcheck?: { test?: string[] };
  volumes?: string[];
}

const ROOT = fileURLToPath(new URL('../', import.meta.url));
const compose = yaml.safeLoad(readFileSync(path.join(ROOT, 'docker-compose.yml'), 'utf8')) as { services: Record<string, ComposeService> };
const services = Object.entries(compose.services);
const inProfile = (profile: string) => services.filter(([, s]) => !s.profiles || s.profiles.includes(profile));
/** The app a service runs (`dist/apps/<app>/src/main.js`), if it runs one. */
const appOf = (s: ComposeService) => /^dist\/apps\/([a-z-]+)\/src\/main\.js$/.exec(s.command?.[1] ?? '')?.[1];
/** The value of `flag` in a nats-server command line. */
const flag = (s: ComposeService, name: string) => s.command?.[s.command.indexOf(name) + 1];
const natsNodes = inProfile('production').filter(([, s]) => s.image?.startsWith('nats:'));

describe('docker-compose.yml', () => {
  it('gives every long-running service a healthcheck; each Awan service its own GET /health on the port it listens on', () => {
    for (const [name, service] of services) {
      if (service.restart === 'no') continue; // the one-shot init step
      expect({ name, checked: (service.healthcheck?.test?.length ?? 0) > 1 }).toEqual({ name, checked: true });
      const app = appOf(service);
      if (!app) continue;
      const port = service.environment?.GATEWAY_PORT ?? service.environment?.PORT ?? String(4000 + APPS.find((a) => a.name === app)!.portOffset);
      expect({ name, test: service.healthcheck!.test!.join(' ') }).toEqual({ name, test: expect.stringContaining(`http://127.0.0.1:${port}/health`) });
    }
  });

  it('runs, in its production profile, a NATS cluster of three whose nodes route to each other, each with its own store', () => {
    expect(natsNodes).toHaveLength(3);
    const clusterAddresses = natsNodes.map(([name]) => `nats://${name}:6222`);
    for (const [name, node] of natsNodes) {
      expect(flag(node, '--cluster_name')).toBe('awan');
      expect(flag(node, '-n')).toBe(name);
      expect(flag(node, '--cluster')).toBe('nats://0.0.0.0:6222');
      expect(flag(node, '--routes')!.split(',').sort()).toEqual([...clusterAddresses].sort());
      expect(node.command).toContain('-js');
      expect(flag(node, '-c')).toBe('/auth/nats-server.conf'); // the operator and accounts every node shares
    }
    const stores = natsNodes.map(([, node]) => node.volumes!.find((v) => v.endsWith(':/data')));
    expect(new Set(stores).size).toBe(3);
  });

  it('runs, in its production profile, two replicas of each control-plane service on the cluster with three stream replicas, and no agent', () => {
    const apps = inProfile('production').flatMap(([, s]) => (appOf(s) ? [s] : []));
    expect(apps.map(appOf).sort()).toEqual(['billing', 'compute', 'gateway', 'network']);
    for (const service of apps) {
      expect(service.deploy?.replicas).toBeGreaterThanOrEqual(2);
      expect(service.environment!.NATS_URL.split(',').sort()).toEqual(natsNodes.map(([name]) => `nats://${name}:4222`).sort());
      expect(service.environment!.NATS_STREAM_REPLICAS).toBe('3');
    }
    // The agent runs under systemd on each hypervisor (deploy/awan-agent.service).
    expect(apps.some((s) => appOf(s) === 'host-agent')).toBe(false);
  });

  it('keeps the single profile apart: one NATS, one of each service and an agent, none of it started with the production profile', () => {
    const single = inProfile('single').filter(([, s]) => s.profiles);
    expect(single.map(([, s]) => appOf(s) ?? s.image).sort()).toEqual(['billing', 'compute', 'gateway', 'host-agent', 'nats:2.10-alpine', 'network']);
    for (const [name] of single) expect(inProfile('production').map(([n]) => n)).not.toContain(name);
  });
});
