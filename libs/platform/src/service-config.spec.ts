import { mkdtempSync, writeFileSync } from 'node:fs';
import os from 'node:os';
import path from 'node:path';
import { accountSignerOf, createNatsAuthority, hostPermissions, issueUserCredentials } from '#libs/nats-auth';
import { readNatsCredentials, readServiceConfig, readWholeNumber } from './service-config.js';

describe('service configuration from the environment', () => {
  it('uses the defaults of a local machine', () => {
    expect(readServiceConfig('compute', { variable: 'PORT', default: 4001 }, {})).toEqual({
      service: 'compute',
      natsUrl: 'nats://127.0.0.1:4222',
      port: 4001,
      host: '127.0.0.1',
      metrics: true,
    });
  });

  it('measures unless METRICS is off, and names the variable for anything but on or off', () => {
    expect(readServiceConfig('compute', { variable: 'PORT', default: 4001 }, { METRICS: 'off' }).metrics).toBe(false);
    expect(readServiceConfig('compute', { variable: 'PORT', default: 4001 }, { METRICS: 'on' }).metrics).toBe(true);
    expect(() => readServiceConfig('compute', { variable: 'PORT', default: 4001 }, { METRICS: 'false' })).toThrow('METRICS must be on or off, got "false"');
  });

  it('takes the gateway port from GATEWAY_PORT', () => {
    expect(readServiceConfig('gateway', { variable: 'GATEWAY_PORT', default: 4000 }, { GATEWAY_PORT: '8080' }).port).toBe(8080);
  });

  it.each(['80a', '-1', '70000', ''])('names the variable when the port is %j', (value) => {
    expect(() => readServiceConfig('compute', { variable: 'PORT', default: 4001 }, { PORT: value })).toThrow(/^PORT must be a TCP port number/);
  });

  it('reads a whole number with its bounds, naming the variable and the rule', () => {
    const rule = { expected: 'at least 1000 milliseconds', min: 1000 };
    expect(readWholeNumber('HOST_DOWN_TIMEOUT_MS', 30_000, rule, {})).toBe(30_000);
    expect(readWholeNumber('HOST_DOWN_TIMEOUT_MS', 30_000, rule, { HOST_DOWN_TIMEOUT_MS: '2000' })).toBe(2000);
    expect(() => readWholeNumber('HOST_DOWN_TIMEOUT_MS', 30_000, rule, { HOST_DOWN_TIMEOUT_MS: '999' })).toThrow(
      'HOST_DOWN_TIMEOUT_MS must be at least 1000 milliseconds, got "999"',
    );
    expect(() => readWholeNumber('QUOTA_VCPUS', 40, { expected: 'a whole number' }, { QUOTA_VCPUS: '4.5' })).toThrow(/^QUOTA_VCPUS must be a whole number/);
  });

  describe('NATS credentials', () => {
    let credentials: string;
    let file: string;
    beforeAll(async () => {
      credentials = (await issueUserCredentials(accountSignerOf(await createNatsAuthority()), 'host-h1', hostPermissions('h1'))).credentials;
      file = path.join(mkdtempSync(path.join(os.tmpdir(), 'awan-creds-')), 'h1.creds');
      writeFileSync(file, credentials, { mode: 0o600 });
    });

    it("reads NATS_CREDENTIALS as a file's path or as the text itself, once, into the config", () => {
      expect(readServiceConfig('host-agent', { variable: 'PORT', default: 4004 }, { NATS_CREDENTIALS: file }).natsCredentials).toBe(credentials);
      expect(readNatsCredentials('NATS_CREDENTIALS', { NATS_CREDENTIALS: credentials })).toBe(credentials);
      expect(readServiceConfig('compute', { variable: 'PORT', default: 4001 }, {}).natsCredentials).toBeUndefined();
    });

    it('names the variable when the file is missing or holds no credentials', () => {
      expect(() => readNatsCredentials('NATS_CREDENTIALS', { NATS_CREDENTIALS: '/nonexistent/h1.creds' })).toThrow(
        'NATS_CREDENTIALS must be a NATS credentials file or its text: cannot read /nonexistent/h1.creds (ENOENT)',
      );
      const notCreds = path.join(path.dirname(file), 'not.creds');
      writeFileSync(notCreds, 'nats://127.0.0.1:4222\n');
      expect(() => readNatsCredentials('AGENT_X', { AGENT_X: notCreds })).toThrow('AGENT_X: not NATS credentials');
    });
  });
});
