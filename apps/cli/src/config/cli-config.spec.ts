import { mkdtempSync, readFileSync, rmSync, statSync, writeFileSync, mkdirSync } from 'node:fs';
import os from 'node:os';
import path from 'node:path';
import { UsageError } from '../cli-errors.js';
import { configPath, emptyConfig, graphqlUrlOf, readConfig, resolveTarget, savedContext, usedContext, writeConfig, type CliConfig } from './cli-config.js';

describe("the CLI's config file", () => {
  let dir: string;
  beforeEach(() => (dir = mkdtempSync(path.join(os.tmpdir(), 'awan-cli-config-'))));
  afterEach(() => rmSync(dir, { recursive: true, force: true }));

  it('lives in $XDG_CONFIG_HOME/awan, or ~/.config/awan where XDG_CONFIG_HOME is unset or not absolute', () => {
    expect(configPath({ XDG_CONFIG_HOME: '/etc/xdg-user', HOME: '/home/ana' })).toBe('/etc/xdg-user/awan/config.json');
    expect(configPath({ HOME: '/home/ana' })).toBe('/home/ana/.config/awan/config.json');
    expect(configPath({ XDG_CONFIG_HOME: 'relative/dir', HOME: '/home/ana' })).toBe('/home/ana/.config/awan/config.json');
  });

  it('is written readable by its owner alone, in a folder of its own, even over a file others could read', () => {
    const file = path.join(dir, 'awan', 'config.json');
    mkdirSync(path.dirname(file));
    writeFileSync(file, '{"contexts":{}}', { mode: 0o644 });
    writeConfig(file, savedContext(emptyConfig(), 'prod', { url: 'https://api.example.net/graphql', key: 'awan_secret' }));
    expect(statSync(file).mode & 0o777).toBe(0o600);
    const fresh = path.join(dir, 'new', 'awan', 'config.json');
    writeConfig(fresh, emptyConfig());
    expect(statSync(fresh).mode & 0o777).toBe(0o600);
    expect(statSync(path.dirname(fresh)).mode & 0o777).toBe(0o700);
    expect(readConfig(file)).toEqual({ current: 'prod', contexts: { prod: { url: 'https://api.example.net/graphql', key: 'awan_secret' } } });
    expect(JSON.parse(readFileSync(file, 'utf8'))).toEqual({ current: 'prod', contexts: { prod: { url: 'https://api.example.net/graphql', key: 'awan_secret' } } });
  });

  it('reads as no contexts where there is no file, and names the file and the fault where it is not one of ours', () => {
    expect(readConfig(path.join(dir, 'none.json'))).toEqual(emptyConfig());
    const file = path.join(dir, 'config.json');
    writeFileSync(file, '{ not json');
    expect(() => readConfig(file)).toThrow(new RegExp(`${file} is not valid JSON`));
    writeFileSync(file, '{"contexts":{"dev":{"url":"http://x"}}}');
    expect(() => readConfig(file)).toThrow('context "dev" needs a "url" and a "key" string');
    writeFileSync(file, '[]');
    expect(() => readConfig(file)).toThrow(UsageError);
  });

  it('keeps several named contexts, the last saved or used one current', () => {
    let config = savedContext(emptyConfig(), 'dev', { url: 'http://127.0.0.1:4000/graphql', key: 'k1' });
    config = savedContext(config, 'prod', { url: 'https://api.example.net/graphql', key: 'k2' });
    expect(config.current).toBe('prod');
    expect(Object.keys(config.contexts)).toEqual(['dev', 'prod']);
    expect(usedContext(config, 'dev').current).toBe('dev');
    expect(() => usedContext(config, 'staging')).toThrow('no context "staging" (there are: dev, prod)');
    expect(() => savedContext(config, 'has space', { url: 'http://x/graphql', key: 'k' })).toThrow('--context: "has space" is not a context name');
  });
});

describe('which API and key a command uses', () => {
  const config: CliConfig = {
    current: 'dev',
    contexts: { dev: { url: 'http://127.0.0.1:4000/graphql', key: 'dev-key' }, prod: { url: 'https://api.example.net/graphql', key: 'prod-key' } },
  };

  it('is the current context, or the one --context names', () => {
    expect(resolveTarget(config, {})).toEqual({ url: 'http://127.0.0.1:4000/graphql', key: 'dev-key', context: 'dev' });
    expect(resolveTarget(config, {}, 'prod')).toEqual({ url: 'https://api.example.net/graphql', key: 'prod-key', context: 'prod' });
    expect(() => resolveTarget(config, {}, 'nope')).toThrow('no context "nope" (there are: dev, prod)');
  });

  it('takes AWAN_URL and AWAN_API_KEY over the file, each on its own', () => {
    expect(resolveTarget(config, { AWAN_URL: 'http://10.0.0.5:4000' })).toMatchObject({ url: 'http://10.0.0.5:4000/graphql', key: 'dev-key' });
    expect(resolveTarget(config, { AWAN_API_KEY: 'env-key' })).toMatchObject({ url: 'http://127.0.0.1:4000/graphql', key: 'env-key' });
    expect(resolveTarget(emptyConfig(), { AWAN_URL: 'http://h:4000/graphql', AWAN_API_KEY: 'k' })).toEqual({ url: 'http://h:4000/graphql', key: 'k', context: null });
    expect(() => resolveTarget(emptyConfig(), { AWAN_URL: 'not a url', AWAN_API_KEY: 'k' })).toThrow('AWAN_URL: "not a url" is not a URL');
  });

  it('says how to log in when there is none', () => {
    expect(() => resolveTarget(emptyConfig(), {})).toThrow('no API URL and no key: run awan login --url URL --key KEY, or set AWAN_URL and AWAN_API_KEY');
    expect(() => resolveTarget(emptyConfig(), { AWAN_URL: 'http://h:4000' })).toThrow(/^no API key:/);
  });
});

describe('an API URL as typed', () => {
  it("is the gateway's /graphql for a bare address, and itself where it has a path", () => {
    expect(graphqlUrlOf('http://127.0.0.1:4000')).toBe('http://127.0.0.1:4000/graphql');
    expect(graphqlUrlOf('https://api.example.net/')).toBe('https://api.example.net/graphql');
    expect(graphqlUrlOf('https://example.net/awan/graphql')).toBe('https://example.net/awan/graphql');
  });

  it('is refused, naming the option, unless it is http(s)', () => {
    expect(() => graphqlUrlOf('localhost:4000')).toThrow('--url: "localhost:4000" must be an http or https URL');
    expect(() => graphqlUrlOf('ftp://example.net')).toThrow('must be an http or https URL');
    expect(() => graphqlUrlOf('127.0.0.1:4000')).toThrow('--url: "127.0.0.1:4000" is not a URL (e.g. http://127.0.0.1:4000)');
  });
});
