import { chmodSync, mkdirSync, readFileSync, renameSync, writeFileSync } from 'node:fs';
import os from 'node:os';
import path from 'node:path';
import { UsageError } from '../cli-errors.js';

/** One Awan API and the key to use it with. */
export interface CliContext {
  /** The GraphQL endpoint, e.g. `http://127.0.0.1:4000/graphql`. */
  url: string;
  key: string;
}

/** `~/.config/awan/config.json`: named contexts and the one in use. */
export interface CliConfig {
  current: string | null;
  contexts: Record<string, CliContext>;
}

/** Where the API is and the key for it, for one command, and where each came from (for messages). */
export interface Target extends CliContext {
  context: string | null;
}

const CONTEXT_NAME = /^[A-Za-z0-9][A-Za-z0-9._-]{0,62}$/;

export const emptyConfig = (): CliConfig => ({ current: null, contexts: {} });

/** XDG_CONFIG_HOME (an absolute path, as the XDG specification says) or ~/.config, then awan/config.json. */
export function configPath(env: NodeJS.ProcessEnv): string {
  const xdg = env.XDG_CONFIG_HOME;
  const base = xdg && path.isAbsolute(xdg) ? xdg : path.join(env.HOME || os.homedir(), '.config');
  return path.join(base, 'awan', 'config.json');
}

/** The file's contexts; none where there is no file yet. A file that is not ours says so, naming it. */
export function readConfig(file: string): CliConfig {
  let text: string;
  try {
    text = readFileSync(file, 'utf8');
  } catch (error) {
    if ((error as NodeJS.ErrnoException).code === 'ENOENT') return emptyConfig();
    throw new UsageError(`cannot read ${file}: ${(error as Error).message}`);
  }
  let parsed: unknown;
  try {
    parsed = JSON.parse(text);
  } catch (error) {
    throw new UsageError(`${file} is not valid JSON (${(error as Error).message}): fix it or remove it and log in again`);
  }
  const config = parsed as Partial<CliConfig> | null;
  const contexts = config?.contexts;
  if (!config || typeof config !== 'object' || !contexts || typeof contexts !== 'object' || Array.isArray(contexts)) {
    throw new UsageError(`${file} has no "contexts" object: fix it or remove it and log in again`);
  }
  for (const [name, context] of Object.entries(contexts)) {
    if (typeof context?.url !== 'string' || typeof context?.key !== 'string') {
      throw new UsageError(`${file}: context "${name}" needs a "url" and a "key" string`);
    }
  }
  const current = typeof config.current === 'string' && config.current in contexts ? config.current : null;
  return { current, contexts };
}

/** Written whole and renamed into place, readable by its owner alone: it holds API keys. */
export function writeConfig(file: string, config: CliConfig): void {
  mkdirSync(path.dirname(file), { recursive: true, mode: 0o700 });
  const partial = `${file}.${process.pid}.tmp`;
  writeFileSync(partial, `${JSON.stringify(config, null, 2)}\n`, { mode: 0o600 });
  chmodSync(partial, 0o600); // an existing file of that name keeps its mode through writeFileSync
  renameSync(partial, file);
}

export function checkContextName(name: string, option = '--context'): string {
  if (!CONTEXT_NAME.test(name)) throw new UsageError(`${option}: "${name}" is not a context name (letters, digits, '.', '_' and '-', at most 63)`);
  return name;
}

/** The config with `name` set to `context` and in use. */
export function savedContext(config: CliConfig, name: string, context: CliContext): CliConfig {
  return { current: checkContextName(name), contexts: { ...config.contexts, [name]: context } };
}

export function usedContext(config: CliConfig, name: string): CliConfig {
  if (!(name in config.contexts)) throw new UsageError(unknownContext(config, name));
  return { ...config, current: name };
}

/**
 * The API endpoint for a URL as a user types it: a gateway's address (`http://host:4000`) gets
 * `/graphql`; a URL with a path is taken as the endpoint itself.
 */
export function graphqlUrlOf(text: string, option = '--url'): string {
  let url: URL;
  try {
    url = new URL(text);
  } catch {
    throw new UsageError(`${option}: "${text}" is not a URL (e.g. http://127.0.0.1:4000)`);
  }
  if (url.protocol !== 'http:' && url.protocol !== 'https:') throw new UsageError(`${option}: "${text}" must be an http or https URL`);
  if (url.pathname === '/' || url.pathname === '') url.pathname = '/graphql';
  return url.toString();
}

/**
 * Which API and key a command uses: the context named by --context, else the current one; then
 * AWAN_URL and AWAN_API_KEY, where set, override the file's.
 */
export function resolveTarget(config: CliConfig, env: NodeJS.ProcessEnv, contextName?: string): Target {
  const name = contextName ?? config.current;
  if (contextName !== undefined && !(contextName in config.contexts)) throw new UsageError(unknownContext(config, contextName));
  const saved = name ? config.contexts[name] : undefined;
  const url = env.AWAN_URL ? graphqlUrlOf(env.AWAN_URL, 'AWAN_URL') : saved?.url;
  const key = env.AWAN_API_KEY || saved?.key;
  if (!url || !key) {
    const missing = !url && !key ? 'no API URL and no key' : !url ? 'no API URL' : 'no API key';
    throw new UsageError(`${missing}: run awan login --url URL --key KEY, or set AWAN_URL and AWAN_API_KEY`);
  }
  return { url, key, context: saved ? name : null };
}

function unknownContext(config: CliConfig, name: string): string {
  const known = Object.keys(config.contexts);
  return `no context "${name}"${known.length ? ` (there are: ${known.join(', ')})` : ' (none saved yet: awan login --url URL --key KEY)'}`;
}
