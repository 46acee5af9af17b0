import { readFileSync } from 'node:fs';
import path from 'node:path';
import { fileURLToPath } from 'node:url';

export const ROOT = path.resolve(path.dirname(fileURLToPath(import.meta.url)), '../..');

/** Where `npm start` keeps its embedded PostgreSQL and NATS data, and the URLs of a running Awan. */
export function dataDir(env = process.env): string {
  return path.resolve(env.AWAN_DATA_DIR ?? path.join(ROOT, '.awan'));
}

export const RUNNING_ENV_FILE = 'running.env';

/** DATABASE_URL and NATS_URL from the environment, else those of the Awan that `npm start` runs. */
export function connectionUrls(env = process.env): { databaseUrl?: string; natsUrl?: string } {
  let running: Record<string, string> = {};
  try {
    const text = readFileSync(path.join(dataDir(env), RUNNING_ENV_FILE), 'utf8');
    running = Object.fromEntries(text.split('\n').filter(Boolean).map((line) => line.split(/=(.*)/s).slice(0, 2)));
  } catch {
    // no Awan running from this folder
  }
  return { databaseUrl: env.DATABASE_URL ?? running.DATABASE_URL, natsUrl: env.NATS_URL ?? running.NATS_URL };
}
