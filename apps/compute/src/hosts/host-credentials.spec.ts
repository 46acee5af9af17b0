import { mkdtempSync, writeFileSync } from 'node:fs';
import os from 'node:os';
import path from 'node:path';
import { accountSignerOf, createNatsAuthority, issueSystemCredentials, issueUserCredentials, servicePermissions, type NatsAuthority } from '#libs/nats-auth';
import { readHostCredentialsConfig } from './host-credentials.js';

describe("compute's keys to enroll hosts with", () => {
  let authority: NatsAuthority;
  let own: string;
  let env: NodeJS.ProcessEnv;
  let dir: string;
  beforeAll(async () => {
    authority = await createNatsAuthority();
    own = (await issueUserCredentials(accountSignerOf(authority), 'compute', servicePermissions('compute'))).credentials;
    dir = mkdtempSync(path.join(os.tmpdir(), 'awan-keys-'));
    writeFileSync(path.join(dir, 'system.creds'), await issueSystemCredentials(authority), { mode: 0o600 });
    env = {
      NATS_ACCOUNT_SIGNING_KEY: authority.accountSigningKey.seed,
      NATS_OPERATOR_SIGNING_KEY: authority.operatorSigningKey.seed,
      NATS_SYSTEM_CREDENTIALS: path.join(dir, 'system.creds'),
    };
  });

  it('has none where NATS_ACCOUNT_SIGNING_KEY is unset: hosts cannot be enrolled', () => {
    expect(readHostCredentialsConfig({}, own)).toBeNull();
  });

  it("signs for the account compute's own credentials are in, and takes a seed or a file holding it", () => {
    const config = readHostCredentialsConfig(env, own)!;
    expect(config.signer).toEqual({ accountPublicKey: authority.account.publicKey, signingKeySeed: authority.accountSigningKey.seed });
    expect(config.operatorSigningKeySeed).toBe(authority.operatorSigningKey.seed);
    expect(config.systemCredentials).toContain('-----BEGIN NATS USER JWT-----');
    writeFileSync(path.join(dir, 'account-signing.nk'), `${authority.accountSigningKey.seed}\n`);
    expect(readHostCredentialsConfig({ ...env, NATS_ACCOUNT_SIGNING_KEY: path.join(dir, 'account-signing.nk') }, own)!.signer.signingKeySeed).toBe(authority.accountSigningKey.seed);
  });

  it.each([
    [{ NATS_OPERATOR_SIGNING_KEY: undefined }, "NATS_OPERATOR_SIGNING_KEY must be the operator signing key's nkey seed (SO…), or the path of a file holding it"],
    [{ NATS_ACCOUNT_SIGNING_KEY: 'SOAAAA' }, "NATS_ACCOUNT_SIGNING_KEY must be the account signing key's nkey seed (SA…)"],
    [{ NATS_ACCOUNT_SIGNING_KEY: '/nonexistent/account-signing.nk' }, 'NATS_ACCOUNT_SIGNING_KEY: cannot read /nonexistent/account-signing.nk (ENOENT)'],
    [{ NATS_SYSTEM_CREDENTIALS: undefined }, 'NATS_SYSTEM_CREDENTIALS must name'],
  ])('refuses %j, naming the variable', (change, message) => {
    expect(() => readHostCredentialsConfig({ ...env, ...change }, own)).toThrow(message);
  });

  it('needs compute to have credentials of its own', () => {
    expect(() => readHostCredentialsConfig(env, undefined)).toThrow('NATS_ACCOUNT_SIGNING_KEY needs NATS_CREDENTIALS');
  });
});
