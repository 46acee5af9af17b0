import { decode, fromSeed, parseCreds, type Account, type Operator } from '@nats-io/jwt';
import { accountSignerOf, createNatsAuthority, issueSystemCredentials, issueUserCredentials, natsServerConfig, userClaimsOf, withRevocations, type NatsAuthority } from './authority.js';
import { credentialsOptions } from './connection-options.js';
import { hostPermissions, servicePermissions } from './permissions.js';

const bytes = (text: string) => new TextEncoder().encode(text);

describe("Awan's NATS trust chain", () => {
  let authority: NatsAuthority;
  beforeAll(async () => {
    authority = await createNatsAuthority();
  });

  it('has an operator that names the system account and the signing key its accounts are signed with', () => {
    const operator = decode<Operator>(authority.operator.jwt);
    expect(operator.iss).toBe(authority.operator.publicKey);
    expect(operator.sub).toBe(authority.operator.publicKey);
    expect(operator.nats.system_account).toBe(authority.systemAccount.publicKey);
    expect(operator.nats.signing_keys).toEqual([authority.operatorSigningKey.publicKey]);
    expect(authority.operator.publicKey).toMatch(/^O/);
    expect(fromSeed(bytes(authority.operatorSigningKey.seed)).getPublicKey()).toBe(authority.operatorSigningKey.publicKey);
  });

  it('has the Awan account signed by the operator signing key, with a signing key of its own, any number of connections, and JetStream', () => {
    const account = decode<Account>(authority.account.jwt);
    expect(account.iss).toBe(authority.operatorSigningKey.publicKey);
    expect(account.sub).toBe(authority.account.publicKey);
    expect(account.nats.signing_keys).toEqual([authority.accountSigningKey.publicKey]);
    expect(account.nats.limits).toMatchObject({ conn: -1, subs: -1, payload: -1, mem_storage: -1, disk_storage: -1, streams: -1, consumer: -1 });
    const system = decode<Account>(authority.systemAccount.jwt);
    expect(system.iss).toBe(authority.operatorSigningKey.publicKey);
    expect(system.nats.limits).toMatchObject({ conn: -1 });
  });

  it("issues a user signed by the account's signing key, in the account, with the permissions asked for, as a .creds text", async () => {
    const { publicKey, credentials } = await issueUserCredentials(accountSignerOf(authority), 'host-h1', hostPermissions('h1'));
    const parsed = await parseCreds(bytes(credentials));
    expect(fromSeed(bytes(parsed.key)).getPublicKey()).toBe(publicKey);
    expect(parsed.uc.sub).toBe(publicKey);
    expect(parsed.uc.iss).toBe(authority.accountSigningKey.publicKey);
    expect(parsed.uc.nats.issuer_account).toBe(authority.account.publicKey);
    expect(parsed.uc.nats).toMatchObject({ pub: { allow: ['agent.heartbeat.h1', 'agent.h1.console.*.out'] }, sub: { allow: ['agent.h1.>'] }, resp: { max: 1 } });
    expect(userClaimsOf(credentials).name).toBe('host-h1');
  });

  it('issues the revocations user in the system account, signed by it', async () => {
    const claims = userClaimsOf(await issueSystemCredentials(authority));
    expect(claims.iss).toBe(authority.systemAccount.publicKey);
    expect(claims.nats.pub?.allow).toContain('$SYS.REQ.CLAIMS.UPDATE');
  });

  it("re-issues the account with revocations added, signed by the operator's signing key, the rest as it was", async () => {
    const first = await withRevocations(authority.account.jwt, { UA: 100 }, authority.operatorSigningKey.seed);
    const second = await withRevocations(first, { UB: 200 }, authority.operatorSigningKey.seed);
    const claims = decode<Account>(second);
    expect(claims.iss).toBe(authority.operatorSigningKey.publicKey);
    expect(claims.sub).toBe(authority.account.publicKey);
    expect(claims.name).toBe('AWAN');
    expect(claims.nats.revocations).toEqual({ UA: 100, UB: 200 });
    expect(claims.nats.signing_keys).toEqual([authority.accountSigningKey.publicKey]);
    expect(claims.nats.limits).toEqual(decode<Account>(authority.account.jwt).nats.limits);
  });

  it('configures nats-server to trust the operator and keep the accounts with its full resolver', () => {
    const config = natsServerConfig(authority, '/data/nats/accounts');
    expect(config).toContain(`operator: "${authority.operator.jwt}"`);
    expect(config).toContain(`system_account: "${authority.systemAccount.publicKey}"`);
    expect(config).toContain('resolver: { type: full, dir: "/data/nats/accounts"');
    expect(config).toContain(`${authority.account.publicKey}: "${authority.account.jwt}"`);
    expect(config).toContain(`${authority.systemAccount.publicKey}: "${authority.systemAccount.jwt}"`);
  });

  it("connects with a user's credentials and takes its inboxes where its permissions allow", async () => {
    const { credentials } = await issueUserCredentials(accountSignerOf(authority), 'compute', servicePermissions('compute'));
    const options = credentialsOptions(credentials);
    expect(options.inboxPrefix).toBe('_INBOX.compute');
    expect(options.authenticator).toBeInstanceOf(Function);
    expect(credentialsOptions((await issueUserCredentials(accountSignerOf(authority), 'host-h1', hostPermissions('h1'))).credentials).inboxPrefix).toBeUndefined();
    expect(credentialsOptions(undefined)).toEqual({});
  });

  it('refuses a text that is not credentials', () => {
    expect(() => userClaimsOf('nats://127.0.0.1:4222')).toThrow('not NATS credentials');
  });
});
