// The servers `npm test` runs against: those DATABASE_URL and NATS_URL name, else the machine's own
// on the standard ports, else (a fresh machine) an embedded PostgreSQL and a local nats-server of the
// run's own, started here and removed after it, as `npm start` does.
import { mkdtempSync, rmSync } from 'node:fs';
import os from 'node:os';
import path from 'node:path';
import pg from 'pg';
import { answers, startEmbeddedPostgres, startNatsServer, type EmbeddedServer } from './embedded-servers.js';

export interface TestServers {
  env: { DATABASE_URL: string; NATS_URL: string };
  /** What it started, in words (nothing when the environment or the machine had both). */
  started: string[];
  stop(): Promise<void>;
}

export interface TestServerPorts {
  postgres: number;
  nats: number;
}

export async function testServers(env: NodeJS.ProcessEnv, log: (line: string) => void, ports: TestServerPorts = { postgres: 5432, nats: 4222 }): Promise<TestServers> {
  const dir = mkdtempSync(path.join(os.tmpdir(), 'awan-test-servers-'));
  const servers: EmbeddedServer[] = [];
  const started: string[] = [];
  const stop = async () => {
    for (const server of servers.reverse()) await server.stop();
    rmSync(dir, { recursive: true, force: true });
  };
  try {
    let databaseUrl = env.DATABASE_URL;
    if (!databaseUrl && (await answers(ports.postgres))) databaseUrl = `postgres://postgres@127.0.0.1:${ports.postgres}/test`;
    if (!databaseUrl) {
      const postgres = await startEmbeddedPostgres(path.join(dir, 'postgres'), log, null);
      servers.push(postgres);
      databaseUrl = await withTestDatabase(postgres.url);
      started.push(`PostgreSQL at ${databaseUrl}`);
    }
    let natsUrl = env.NATS_URL;
    if (!natsUrl && (await answers(ports.nats))) natsUrl = `nats://127.0.0.1:${ports.nats}`;
    if (!natsUrl) {
      // Without a configuration file: the tests connect as the machine's own NATS lets them, with no credentials.
      const nats = await startNatsServer(path.join(dir, 'nats'), log, null);
      servers.push(nats);
      natsUrl = nats.url;
      started.push(`nats-server at ${natsUrl}`);
    }
    return { env: { DATABASE_URL: databaseUrl, NATS_URL: natsUrl }, started, stop };
  } catch (error) {
    await stop();
    throw error;
  }
}

/** The tests' database, `test`, beside the embedded server's own (its user is the superuser the tests need). */
async function withTestDatabase(url: string): Promise<string> {
  const admin = new pg.Client({ connectionString: url });
  await admin.connect();
  try {
    await admin.query('CREATE DATABASE test');
  } finally {
    await admin.end();
  }
  return Object.assign(new URL(url), { pathname: '/test' }).toString();
}
