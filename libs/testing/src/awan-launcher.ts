import { spawn, spawnSync } from 'node:child_process';
import { existsSync, mkdtempSync, readFileSync, rmSync } from 'node:fs';
import os from 'node:os';
import path from 'node:path';
import { fileURLToPath } from 'node:url';
import { accountSignerOf, hostPermissions, issueUserCredentials, type AwanService, type NatsAuthority, type UserPermissions } from '#libs/nats-auth';
import { answers, freePorts } from '../../../scripts/embedded-servers.js';
import { createServiceDatabase, uniqueName, waitFor } from './environment.js';
import { SimulatedHost, type SimulatedHostOptions } from './simulated-host.js';

const ROOT = path.resolve(path.dirname(fileURLToPath(import.meta.url)), '../../..');
/** The processes `npm start` runs, one port each from the gateway's. */
export const AWAN_SERVICES = ['gateway', 'compute', 'network', 'billing', 'host-agent'];

/** True when something accepts TCP connections on 127.0.0.1:port. */
export const portIsOpen = answers;

/**
 * A base port with the ports after it that `npm start` takes free (twice as many on a cluster,
 * AWAN_CLUSTER=1: each service's second replica above its first), away from the defaults a
 * developer's Awan may hold.
 */
export const freePortRange = (cluster = false): Promise<number> => freePorts((cluster ? 2 : 1) * AWAN_SERVICES.length);

/** The pids of a process's children. */
export const childProcesses = (parent: number): number[] => (spawnSync('pgrep', ['-P', String(parent)]).stdout.toString().match(/\d+/g) ?? []).map(Number);

/** Every process under `pid`, at any depth (npm start's launcher: its supervisor, the services, its PostgreSQL and NATS nodes). */
export function descendantProcesses(pid: number): number[] {
  const children = childProcesses(pid);
  return [...children, ...children.flatMap(descendantProcesses)];
}

/** The pid of each service `npm start` runs, by name: the supervisor's children. */
export function servicePids(launcherPid: number): Map<string, number> {
  const children = childProcesses;
  const pids = new Map<string, number>();
  for (const supervisor of children(launcherPid)) {
    for (const pid of children(supervisor)) {
      let cmdline = '';
      try {
        cmdline = readFileSync(`/proc/${pid}/cmdline`, 'utf8');
      } catch {
        continue; // gone meanwhile
      }
      const app = AWAN_SERVICES.find((name) => cmdline.includes(`dist/apps/${name}/src/main.js`));
      if (app) pids.set(app, pid);
    }
  }
  return pids;
}

/** The seeded development pools' bridge (203.0.113.128/25), which the agent makes on first use. */
const DEV_BRIDGE = 'awanbr0';

/**
 * What puts the development bridge back as it is now: a test that made it takes it away, as its
 * documentation range may hide a real address of this machine's (here, the npm registry's mirror).
 */
export function keepDevBridgeAsFound(): () => void {
  const existed = spawnSync('ip', ['link', 'show', 'dev', DEV_BRIDGE]).status === 0;
  return () => {
    if (!existed) spawnSync('ip', ['link', 'delete', 'dev', DEV_BRIDGE]);
  };
}

/**
 * Takes away a test host's nft tables (README, Firewalls and anti-spoofing: `awan-<hostId>`). An agent
 * killed keeps them, as a lost host must; a test's host is gone for good when its test ends.
 */
export function removeHostTables(hostId: string): void {
  for (const family of ['bridge', 'inet']) spawnSync('nft', ['delete', 'table', family, `awan-${hostId}`], { stdio: 'ignore' });
}

export interface Launcher {
  /** The launcher's own process: the supervisor is its child, the services the supervisor's. */
  pid: number;
  /** What it printed so far, stdout and stderr as they came. */
  output(): string;
  /** The same, each stream on its own (whole lines, however the two interleave). */
  streams(): { stdout: string; stderr: string };
  stop(): Promise<number | null>;
}

/** The last `count` lines `service` printed through the launcher (`[compute] ...`): what a failing test shows of why. */
export function serviceLines(launcher: Launcher, service: string, count = 20): string[] {
  return launcher.output().split('\n').filter((line) => line.startsWith(`[${service}]`)).slice(-count);
}

/**
 * `npm start` as a user runs it, after the build: `node dist/scripts/awan.js`, printing as on a
 * terminal (LOG_FORMAT=pretty) unless `env` says otherwise.
 */
export async function startAwan(env: NodeJS.ProcessEnv): Promise<Launcher> {
  const child = spawn(process.execPath, ['dist/scripts/awan.js'], { cwd: ROOT, env: { LOG_FORMAT: 'pretty', ...env }, stdio: ['ignore', 'pipe', 'pipe'] });
  let output = '';
  const streams = { stdout: '', stderr: '' };
  child.stdout.on('data', (chunk) => ((output += chunk), (streams.stdout += chunk)));
  child.stderr.on('data', (chunk) => ((output += chunk), (streams.stderr += chunk)));
  const exited = new Promise<number | null>((resolve) => child.on('exit', (code) => resolve(code)));
  await waitFor(() => {
    if (child.exitCode !== null) throw new Error(`launcher exited early:\n${output}`);
    return output.includes('Awan is running.');
  }, 150_000, 'Awan to start').catch(async (error: Error) => {
    // Not left running behind the failed test: Ctrl-C, as for stop(), and its output with the error.
    if (child.exitCode !== null || child.signalCode !== null) throw error;
    child.kill('SIGINT');
    await exited;
    throw new Error(`${error.message}\n${output.slice(-5000)}`);
  });
  return {
    pid: child.pid!,
    output: () => output,
    streams: () => ({ ...streams }),
    /** Ctrl-C, as a user stops it; once stopped, asking again changes nothing. */
    async stop() {
      if (child.exitCode === null && child.signalCode === null) child.kill('SIGINT');
      return exited;
    },
  };
}

/** A whole Awan of one test file: `npm start`'s launcher on a database and a NATS of its own, with this machine's agent. */
export interface TestAwan {
  launcher: Launcher;
  /** The GraphQL endpoint. */
  url: string;
  /** Every gateway's GraphQL endpoint: `url`, and on a cluster (AWAN_CLUSTER=1) the second replica's, AWAN_SERVICES.length ports above. */
  gateways: string[];
  /** AWAN_DATA_DIR: the embedded NATS, logs, and the agent's folders. */
  dataDir: string;
  databaseUrl: string;
  /** Its embedded NATS. */
  natsUrl: string;
  /**
   * What a test connects to that NATS with, where it authenticates (npm start's own, not one NATS_URL
   * named): the credentials npm start made for a service, to act as it does.
   */
  natsCredentials(service: AwanService): string | undefined;
  /** This machine's agent, or the simulated host of a control plane started without one. */
  hostId: string;
  /** The platform's ADMIN key (AWAN_ADMIN_API_KEY). */
  adminKey: string;
  /** Stops it and removes everything it made. */
  stop(): Promise<void>;
}

export interface TestAwanOptions {
  /**
   * false: the control plane only (AWAN_LOCAL_AGENT=off), with a simulated host (SimulatedHost)
   * in place of this machine's agent, for tests that need no hypervisor and so run everywhere.
   */
  localAgent?: boolean;
  /** The simulated host's capacity and answers, when there is no local agent. */
  simulatedHost?: Partial<SimulatedHostOptions>;
}

/**
 * Starts Awan the README's way for a whole-system test, with `env` on top (rate limits out of
 * the way), and waits until its host (this machine, or the simulated one) is UP.
 */
export async function startTestAwan(label: string, env: NodeJS.ProcessEnv = {}, options: TestAwanOptions = {}): Promise<TestAwan> {
  const localAgent = options.localAgent ?? true;
  const database = await createServiceDatabase(`awan_${label}_`);
  const dataDir = mkdtempSync(path.join(os.tmpdir(), `awan-${label}-`));
  const cluster = (env.AWAN_CLUSTER ?? process.env.AWAN_CLUSTER) === '1';
  const base = await freePortRange(cluster);
  const hostId = uniqueName(`${label}-host-`.replace(/_/g, '-'));
  const adminKey = `awan_e2e_${uniqueName('admin_')}_0123456789`;
  const { NATS_URL: _nats, ...inherited } = process.env;
  const restoreDevBridge = keepDevBridgeAsFound();
  let launcher: Launcher | undefined;
  let simulated: SimulatedHost | null = null;
  // Takes away whatever was made, also when the start failed halfway: an open admin connection
  // or a running launcher left behind would keep Jest from exiting after the failure.
  const stop = async () => {
    await simulated?.stop();
    await launcher?.stop();
    spawnSync('pkill', ['-KILL', '-f', dataDir]);
    removeHostTables(hostId);
    await database.drop();
    rmSync(dataDir, { recursive: true, force: true });
    restoreDevBridge();
  };
  const url = `http://127.0.0.1:${base}/graphql`;
  const gateways = [url, ...(cluster ? [`http://127.0.0.1:${base + AWAN_SERVICES.length}/graphql`] : [])];
  let natsUrl: string;
  try {
    launcher = await startAwan({
      ...inherited, AWAN_DATA_DIR: dataDir, GATEWAY_PORT: String(base), DATABASE_URL: database.url, HOST_ID: hostId,
      AWAN_ADMIN_API_KEY: adminKey, STOP_TIMEOUT_MS: '5000', RATE_LIMIT_BURST: '100000', RATE_LIMIT_PER_SECOND: '100000',
      ...(localAgent ? {} : { AWAN_LOCAL_AGENT: 'off' }), ...env,
    });
    natsUrl = /^NATS_URL=(.*)$/m.exec(readFileSync(path.join(dataDir, 'running.env'), 'utf8'))![1];
    // The simulated host has credentials as this machine's agent would: its own host's, from the account's signing key.
    const hostCredentials = await issueTestCredentials(dataDir, `host-${hostId}`, hostPermissions(hostId));
    if (!localAgent) simulated = await SimulatedHost.start({ ...options.simulatedHost, hostId, natsUrl, credentials: hostCredentials });
    await waitFor(async () => {
      const response = await fetch(url, {
        method: 'POST',
        headers: { 'content-type': 'application/json', authorization: `Bearer ${adminKey}` },
        body: JSON.stringify({ query: '{ hosts { id status } }' }),
      }).then((r) => r.json() as Promise<{ data?: { hosts: { id: string; status: string }[] } }>, () => null);
      return response?.data?.hosts.some((h) => h.id === hostId && h.status === 'UP');
    }, 60_000, `host ${hostId} to be UP`);
  } catch (error) {
    await stop();
    throw error;
  }
  const natsCredentials = (service: AwanService) => (natsAuthenticates(dataDir) ? readFileSync(path.join(natsAuthDir(dataDir), `${service}.creds`), 'utf8') : undefined);
  return { launcher, url, gateways, dataDir, databaseUrl: database.url, natsUrl, natsCredentials, hostId, adminKey, stop };
}

/** Where npm start keeps its NATS keys and credentials (scripts/nats-auth-files.ts). */
export const natsAuthDir = (dataDir: string) => path.join(dataDir, 'nats-auth');

/** Whether the Awan of `dataDir` runs its own NATS, which lets no one in without credentials. */
export const natsAuthenticates = (dataDir: string) => existsSync(path.join(natsAuthDir(dataDir), 'authority.json'));

/**
 * New credentials for the NATS of the Awan of `dataDir`, signed with its account's signing key as
 * enrollHost's are (undefined where that NATS lets anyone in): a test's own user, with the permissions it asks for.
 */
export async function issueTestCredentials(dataDir: string, name: string, permissions: UserPermissions): Promise<string | undefined> {
  if (!natsAuthenticates(dataDir)) return undefined;
  const authority = JSON.parse(readFileSync(path.join(natsAuthDir(dataDir), 'authority.json'), 'utf8')) as NatsAuthority;
  return (await issueUserCredentials(accountSignerOf(authority), name, permissions)).credentials;
}
