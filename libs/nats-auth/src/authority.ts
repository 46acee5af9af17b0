import {
  createAccount,
  createOperator,
  createUser,
  decode,
  encodeAccount,
  encodeOperator,
  encodeUser,
  fmtCreds,
  fromSeed,
  type Account,
  type ClaimsData,
  type KeyPair,
  type User,
} from '@nats-io/jwt';
import { claimsPermissions, type UserPermissions } from './permissions.js';

export interface NatsKey {
  publicKey: string;
  /** The private half (an nkey seed): whoever holds it signs as this key. */
  seed: string;
}

/**
 * Awan's NATS trust chain (NATS's decentralized JWT authorization): an operator, whose signing key
 * signs the accounts; the system account, through which account JWTs are pushed to the servers; and
 * the Awan account every service and agent connects in, whose signing key signs their users. A server
 * trusts the operator and so every user an account signing key issues, later ones included.
 */
export interface NatsAuthority {
  operator: NatsKey & { jwt: string };
  operatorSigningKey: NatsKey;
  systemAccount: NatsKey & { jwt: string };
  account: NatsKey & { jwt: string };
  accountSigningKey: NatsKey;
}

/** What signs users of the Awan account: its signing key, on behalf of the account. */
export interface AccountSigner {
  accountPublicKey: string;
  signingKeySeed: string;
}

const CONNECTIONS = { subs: -1, data: -1, payload: -1, imports: -1, exports: -1, wildcards: true, conn: -1, leaf: -1 };
/** An account JWT's limits replace the defaults whole: without these it would allow no connection, and no JetStream. */
const AWAN_LIMITS = { ...CONNECTIONS, mem_storage: -1, disk_storage: -1, streams: -1, consumer: -1 };

const text = (bytes: Uint8Array) => new TextDecoder().decode(bytes);
const keyOf = (pair: KeyPair): NatsKey => ({ publicKey: pair.getPublicKey(), seed: text(pair.getSeed()) });
const pairOf = (seed: string) => fromSeed(new TextEncoder().encode(seed));

export async function createNatsAuthority(): Promise<NatsAuthority> {
  const operator = createOperator();
  const operatorSigningKey = createOperator();
  const system = createAccount();
  const account = createAccount();
  const accountSigningKey = createAccount();
  const systemJwt = await encodeAccount('SYS', system, { limits: CONNECTIONS }, { signer: operatorSigningKey });
  const accountJwt = await encodeAccount(
    'AWAN',
    account,
    { limits: AWAN_LIMITS, signing_keys: [accountSigningKey.getPublicKey()] },
    { signer: operatorSigningKey },
  );
  const operatorJwt = await encodeOperator('awan', operator, {
    signing_keys: [operatorSigningKey.getPublicKey()],
    system_account: system.getPublicKey(),
  });
  return {
    operator: { ...keyOf(operator), jwt: operatorJwt },
    operatorSigningKey: keyOf(operatorSigningKey),
    systemAccount: { ...keyOf(system), jwt: systemJwt },
    account: { ...keyOf(account), jwt: accountJwt },
    accountSigningKey: keyOf(accountSigningKey),
  };
}

/**
 * nats-server's configuration: trust the operator, and keep account JWTs with the built-in resolver
 * in `resolverDir`. The accounts are preloaded; a newer JWT pushed later (a revocation) is kept there
 * and wins over the preloaded one across restarts.
 */
export function natsServerConfig(authority: NatsAuthority, resolverDir: string): string {
  return [
    `operator: "${authority.operator.jwt}"`,
    `system_account: "${authority.systemAccount.publicKey}"`,
    `resolver: { type: full, dir: ${JSON.stringify(resolverDir)}, allow_delete: false, interval: "2m" }`,
    'resolver_preload: {',
    `  ${authority.systemAccount.publicKey}: "${authority.systemAccount.jwt}"`,
    `  ${authority.account.publicKey}: "${authority.account.jwt}"`,
    '}',
    '',
  ].join('\n');
}

export const accountSignerOf = (authority: NatsAuthority): AccountSigner => ({
  accountPublicKey: authority.account.publicKey,
  signingKeySeed: authority.accountSigningKey.seed,
});

/** A new user of the Awan account with these permissions: its public key, and its credentials (a `.creds` file's text). */
export async function issueUserCredentials(
  signer: AccountSigner,
  name: string,
  permissions: UserPermissions,
): Promise<{ publicKey: string; credentials: string }> {
  const user = createUser();
  const jwt = await encodeUser(name, user, pairOf(signer.signingKeySeed), { issuer_account: signer.accountPublicKey, ...permissions });
  return { publicKey: user.getPublicKey(), credentials: text(fmtCreds(jwt, user)) };
}

/** The system account's user that pushes account JWTs (compute's, to revoke hosts' credentials). */
export async function issueSystemCredentials(authority: NatsAuthority): Promise<string> {
  const user = createUser();
  const jwt = await encodeUser('claims', user, pairOf(authority.systemAccount.seed), claimsPermissions(authority.account.publicKey));
  return text(fmtCreds(jwt, user));
}

const USER_JWT = /-----BEGIN NATS USER JWT-----\s*([^\s-][^\s]*)\s*------END NATS USER JWT------/;

/** The claims of the user JWT in a `.creds` text; an error when there is none. */
export function userClaimsOf(credentials: string): ClaimsData<User> {
  const jwt = USER_JWT.exec(credentials)?.[1];
  if (!jwt || !/-----BEGIN USER NKEY SEED-----\s*SU[A-Z2-7]+\s*------END USER NKEY SEED------/.test(credentials)) {
    throw new Error('not NATS credentials (a .creds file with a user JWT and its nkey seed)');
  }
  return decode<User>(jwt);
}

/**
 * The account JWT `current` re-issued with `revocations` added (user public key → the second from
 * which its JWTs are no longer accepted), signed by the operator's signing key. Its `iat` must be
 * later than the current one's, or the servers keep the current one: the caller waits for that second.
 */
export async function withRevocations(current: string, revocations: Record<string, number>, operatorSigningKeySeed: string): Promise<string> {
  const claims = decode<Account>(current);
  const { type: _type, version: _version, ...account } = claims.nats;
  return encodeAccount(
    claims.name,
    claims.sub,
    { ...account, revocations: { ...account.revocations, ...revocations } },
    { signer: pairOf(operatorSigningKeySeed) },
  );
}

export function accountClaimsOf(jwt: string): ClaimsData<Account> {
  return decode<Account>(jwt);
}
