// Runs every Awan process on this machine: PostgreSQL and NATS when no URL names them (that NATS
// authenticates everyone, with the keys and credentials kept in .awan/nats-auth), the migrations,
// and the five services, restarted if they crash; stops them in reverse order. AWAN_CLUSTER=1: a
// three-node NATS cluster (a node that dies is started again) and two replicas of every service but the agent.
import { spawn, type ChildProcess } from 'node:child_process';
import { createWriteStream, mkdirSync, rmSync, writeFileSync } from 'node:fs';
import path from 'node:path';
import { setTimeout as sleep } from 'node:timers/promises';
import { createPool } from '#libs/event-store';
import { migrateEventStore } from '#libs/event-sourcing';
import { createLogger, formatPretty, parseLogLine, readLogConfig, readWholeNumber, type LogConfig } from '#libs/platform';
import { readAgentConfig } from '../apps/host-agent/src/host/agent-config.js';
import { answers, FETCH_BLOCKED_PORTS, startEmbeddedPostgres, startNatsCluster, startNatsServer, waitUntil, type EmbeddedServer, type NatsNode } from './embedded-servers.js';
import { dataDir, ROOT, RUNNING_ENV_FILE } from './local-environment.js';
import { clusterNodeConfig, enrolmentEnvironment, ensureHostCredentials, ensureNatsAuthFiles, type NatsAuthFiles } from './nats-auth-files.js';
import { APPS, EVENT_STORES } from './services.js';

const dir = dataDir();
mkdirSync(dir, { recursive: true });
const servers: EmbeddedServer[] = [];
const children = new Map<string, ChildProcess>();
let stopping = false;

let logConfig: LogConfig;
try {
  logConfig = readLogConfig(process.env);
} catch (error) {
  console.error(`[awan] cannot start: ${(error as Error).message}`);
  process.exit(1);
}
const logger = createLogger(logConfig, 'awan');

function say(line: string) {
  logger.info(line);
}

/** Server logs go to files in the data folder; the terminal shows the services. */
function logFile(name: string): (line: string) => void {
  const stream = createWriteStream(path.join(dir, `${name}.log`), { flags: 'a' });
  return (line) => stream.write(`${line}\n`);
}

/**
 * A service's output as this terminal (or log collector) takes it. The services log JSON to the
 * supervisor; with LOG_FORMAT=json their lines pass as they are (each names its service), and what
 * is not a log line (a crash's trace) becomes one. Pretty, each is formatted behind its `[service]`.
 */
function relayLines(name: string, source: NodeJS.ReadableStream, sink: NodeJS.WritableStream) {
  let wrapper: ReturnType<typeof createLogger> | undefined;
  const relay = (line: string) => {
    const record = parseLogLine(line);
    if (logConfig.format === 'pretty') sink.write(`${record ? formatPretty(record, logConfig.colors) : `[${name}] ${line}`}\n`);
    else if (record) sink.write(`${line}\n`);
    else if (line.trim() !== '') (wrapper ??= createLogger(logConfig, name, sink))[sink === process.stderr ? 'warn' : 'info'](line);
  };
  let buffered = '';
  source.on('data', (chunk) => {
    buffered += chunk;
    const lines = buffered.split('\n');
    buffered = lines.pop()!;
    lines.forEach(relay);
  });
}

/** `name` tells replicas apart: `compute`, `compute-2`. */
function startApp(app: (typeof APPS)[number], env: NodeJS.ProcessEnv, name: string = app.name, attempt = 0): void {
  const child = spawn(process.execPath, [path.join(ROOT, app.entry)], { cwd: ROOT, env, stdio: ['ignore', 'pipe', 'pipe'] });
  children.set(name, child);
  relayLines(name, child.stdout!, process.stdout);
  relayLines(name, child.stderr!, process.stderr);
  const startedAt = Date.now();
  child.on('exit', (code, signal) => {
    if (stopping) return;
    // A crash loop (exits within seconds of its start, as systemd counts one) backs off; a process
    // that had started and then died starts again at once.
    const next = Date.now() - startedAt > 10_000 ? 0 : attempt + 1;
    const delay = Math.min(30_000, 1000 * 2 ** Math.max(0, next - 1));
    say(`${name} exited (${signal ?? `code ${code}`}); restarting in ${delay / 1000} s`);
    setTimeout(() => !stopping && startApp(app, env, name, next), delay);
  });
}

async function stopAll(exitCode: number): Promise<never> {
  if (stopping) return new Promise(() => undefined);
  stopping = true;
  await Promise.all(
    [...children.entries()].map(async ([name, child]) => {
      if (child.exitCode !== null || child.signalCode !== null) return;
      const exited = new Promise((resolve) => child.once('exit', resolve));
      child.kill('SIGTERM');
      if ((await Promise.race([exited, sleep(15_000, 'timeout')])) === 'timeout') {
        logger.warn(`${name} did not stop within 15 s; killing it`);
        child.kill('SIGKILL');
        await exited;
      }
    }),
  );
  for (const server of servers.reverse()) await server.stop().catch((error) => logger.error(`stop failed: ${error.message}`));
  rmSync(path.join(dir, RUNNING_ENV_FILE), { force: true });
  say('stopped');
  process.exit(exitCode);
}

process.on('message', (message: { type?: string }) => {
  if (message?.type !== 'stop') return;
  if (!stopping) {
    if (process.stdout.isTTY) process.stdout.write('\n'); // past the terminal's ^C
    say('Stopping Awan… (Ctrl-C again to kill it at once)');
  }
  void stopAll(0);
});
process.on('disconnect', () => void stopAll(0)); // the foreground process is gone
process.on('SIGTERM', () => void stopAll(0));

/** A process's NATS credentials (a file), and compute's keys to enroll hosts with and revoke them. */
async function natsEnvironment(app: (typeof APPS)[number]['name'], files: NatsAuthFiles, env: NodeJS.ProcessEnv): Promise<Record<string, string>> {
  switch (app) {
    case 'host-agent':
      return { NATS_CREDENTIALS: await ensureHostCredentials(files, readAgentConfig(env).hostId) };
    case 'compute':
      return { NATS_CREDENTIALS: files.services.compute, ...enrolmentEnvironment(files) };
    default:
      return { NATS_CREDENTIALS: files.services[app] };
  }
}

/**
 * A NATS npm start runs (the single server, or a cluster's node), started again on its ports and store
 * whenever it ends, as a machine coming back would: its store kept, or made anew where it was lost.
 */
async function superviseNats(node: NatsNode): Promise<void> {
  for (;;) {
    await node.exited();
    if (stopping) return;
    say(`NATS ${node.url} exited; starting it again`);
    await sleep(1000);
    if (stopping) return;
    await node.start().catch((error: Error) => logger.error(`NATS ${node.url} did not start: ${error.message}`));
  }
}

try {
  const clusterSetting = process.env.AWAN_CLUSTER ?? '';
  if (!['', '0', '1'].includes(clusterSetting)) throw new Error(`AWAN_CLUSTER must be 1 (a NATS cluster and two replicas of each service) or 0, got "${clusterSetting}"`);
  const cluster = clusterSetting === '1';
  const span = (cluster ? 2 : 1) * APPS.length;
  const gatewayPort = readWholeNumber('GATEWAY_PORT', 4000, { expected: `the first of ${span} ports, 1 to ${65536 - span}`, min: 1, max: 65536 - span });
  // AWAN_LOCAL_AGENT=off: the control plane only, for a machine that is not a hypervisor itself.
  const agents = APPS.filter((app) => app.name === 'host-agent' && process.env.AWAN_LOCAL_AGENT !== 'off');
  // On a cluster, each service's second replica listens APPS.length ports above its first (the gateway's API on 4005); the agent stays one.
  const services = APPS.filter((app) => app.name !== 'host-agent');
  const seconds = cluster ? services.map((app) => ({ app, name: `${app.name}-2`, port: gatewayPort + APPS.length + app.portOffset })) : [];
  const apps = [...services.map((app) => ({ app, name: app.name, port: gatewayPort + app.portOffset })), ...seconds, ...agents.map((app) => ({ app, name: app.name, port: gatewayPort + app.portOffset }))];
  const ports = apps.map((a) => a.port);
  // Refused before PostgreSQL and NATS start: a setting no start could work with.
  const blocked = ports.find((port) => FETCH_BLOCKED_PORTS.has(port));
  if (blocked !== undefined) throw new Error(`port ${blocked} is one that browsers and fetch refuse to connect to: set GATEWAY_PORT to a range of ${span} ports without it`);

  let databaseUrl = process.env.DATABASE_URL;
  if (!databaseUrl) {
    const postgres = await startEmbeddedPostgres(path.join(dir, 'postgres'), logFile('postgres'));
    servers.push(postgres);
    databaseUrl = postgres.url;
    say(`PostgreSQL (embedded) at ${databaseUrl} (data in ${path.join(dir, 'postgres')})`);
  }
  let natsUrl = process.env.NATS_URL;
  // The NATS npm start runs lets no one in without credentials; an operator's own (NATS_URL) is as
  // its operator configured it, and NATS_CREDENTIALS, where set, reaches every service as it is.
  let natsAuth: NatsAuthFiles | null = null;
  if (!natsUrl) {
    const auth = (natsAuth = await ensureNatsAuthFiles(path.join(dir, 'nats-auth'), path.join(dir, 'nats', 'accounts')));
    if (cluster) {
      const clusterDir = path.join(dir, 'nats-cluster');
      const nats = await startNatsCluster(clusterDir, logFile('nats'), 3, (node) => clusterNodeConfig(auth, node, path.join(clusterDir, node, 'accounts')));
      servers.push(nats);
      natsUrl = nats.url;
      for (const node of nats.nodes) void superviseNats(node);
      say(`NATS cluster of three with JetStream at ${natsUrl} (data in ${clusterDir}; credentials in ${auth.dir})`);
    } else {
      const nats = await startNatsServer(path.join(dir, 'nats'), logFile('nats'), 4222, auth.serverConfig);
      servers.push(nats);
      natsUrl = nats.url;
      void superviseNats(nats);
      say(`NATS with JetStream at ${natsUrl} (data in ${path.join(dir, 'nats')}; credentials in ${auth.dir})`);
    }
  }

  const pool = createPool(databaseUrl);
  try {
    for (const definition of EVENT_STORES) await migrateEventStore(pool, definition);
  } finally {
    await pool.end();
  }
  say(`migrations applied: ${EVENT_STORES.map((d) => d.service).join(', ')}`);
  writeFileSync(path.join(dir, RUNNING_ENV_FILE), `DATABASE_URL=${databaseUrl}\nNATS_URL=${natsUrl}\n`, { mode: 0o600 });

  for (const port of ports) {
    if (await answers(port)) throw new Error(`port ${port} is in use: set GATEWAY_PORT to a free range of ${span} ports`);
  }
  for (const { app, name, port: appPort } of apps) {
    const port = String(appPort);
    // This machine's agent is the region's only host: its backup store is a folder of Awan's data, apart from the instances'.
    const env = {
      AGENT_DATA_DIR: path.join(dir, 'agent'), BACKUP_STORE_DIR: path.join(dir, 'backups'), ...process.env, DATABASE_URL: databaseUrl, NATS_URL: natsUrl,
      GATEWAY_PORT: app.name === 'gateway' ? port : String(gatewayPort), PORT: port, LOG_FORMAT: 'json', // relayLines formats them
      // Three stream replicas on the cluster it runs; an operator's own NATS (NATS_URL) gets what NATS_STREAM_REPLICAS says.
      ...(cluster && natsAuth ? { NATS_STREAM_REPLICAS: process.env.NATS_STREAM_REPLICAS ?? '3' } : {}),
    };
    startApp(app, { ...env, ...(natsAuth ? await natsEnvironment(app.name, natsAuth, env) : {}) }, name);
  }
  await Promise.all(
    ports.map((port, i) =>
      waitUntil(
        async () => (await fetch(`http://127.0.0.1:${port}/health`).then((r) => r.ok).catch(() => false)),
        90_000,
        apps[i].name,
      ),
    ),
  );
  const graphqlApi = `http://127.0.0.1:${gatewayPort}/graphql`;
  if (logConfig.format === 'json') {
    logger.info({ graphqlApi, services: Object.fromEntries(apps.map((a) => [a.name, a.port])) }, 'Awan is running.');
  } else {
    say('');
    say('Awan is running.');
    say(`  GraphQL API  ${graphqlApi}`);
    if (cluster) say(`  second API   http://127.0.0.1:${gatewayPort + APPS.length}/graphql (the gateway's second replica)`);
    say(`  services     ${apps.map((a) => `${a.name} :${a.port}`).join(', ')}`);
    say('Press Ctrl-C to stop.');
  }
} catch (error) {
  logger.error(`cannot start: ${(error as Error).message}`);
  await stopAll(1);
}
