// The NATS trust chain and credentials of one Awan, as files: npm start's (in .awan/nats-auth) and
// docker-compose's init step's (scripts/nats-auth-init.ts). Made on first use, then kept as they are:
// a new account JWT would drop the revocations the servers hold.
import { chmodSync, existsSync, mkdirSync, readFileSync, writeFileSync } from 'node:fs';
import path from 'node:path';
import {
  accountSignerOf,
  AWAN_SERVICES,
  createNatsAuthority,
  hostPermissions,
  issueSystemCredentials,
  issueUserCredentials,
  natsServerConfig,
  servicePermissions,
  type AwanService,
  type NatsAuthority,
} from '#libs/nats-auth';

export interface NatsAuthFiles {
  /** The folder (mode 0700); every file in it is 0600. */
  dir: string;
  authority: NatsAuthority;
  /** nats-server's configuration: `nats-server -c <it>`. */
  serverConfig: string;
  /** Each service's `.creds` file: its NATS_CREDENTIALS. */
  services: Record<AwanService, string>;
  /** The system account user compute pushes revocations with: its NATS_SYSTEM_CREDENTIALS. */
  system: string;
}

function writeSecret(file: string, content: string): void {
  writeFileSync(file, content, { mode: 0o600 });
  chmodSync(file, 0o600); // an existing file keeps its mode on write
}

async function once(file: string, make: () => Promise<string>): Promise<string> {
  if (!existsSync(file)) writeSecret(file, await make());
  return file;
}

/**
 * The files in `dir`, made where missing: the operator, system and Awan accounts' keys and JWTs
 * (authority.json), nats-server's configuration keeping account JWTs in `resolverDir`, and a `.creds`
 * file per service and for the revocations.
 */
export async function ensureNatsAuthFiles(dir: string, resolverDir: string): Promise<NatsAuthFiles> {
  mkdirSync(dir, { recursive: true, mode: 0o700 });
  chmodSync(dir, 0o700);
  const authorityFile = path.join(dir, 'authority.json');
  await once(authorityFile, async () => `${JSON.stringify(await createNatsAuthority(), null, 2)}\n`);
  const authority = JSON.parse(readFileSync(authorityFile, 'utf8')) as NatsAuthority;
  const serverConfig = path.join(dir, 'nats-server.conf');
  // Rewritten each time from the kept JWTs: the same content, wherever the data folder is now.
  writeSecret(serverConfig, natsServerConfig(authority, resolverDir));
  const services = {} as Record<AwanService, string>;
  for (const service of AWAN_SERVICES) {
    services[service] = await once(path.join(dir, `${service}.creds`), async () => (await issueUserCredentials(accountSignerOf(authority), service, servicePermissions(service))).credentials);
  }
  const system = await once(path.join(dir, 'system.creds'), () => issueSystemCredentials(authority));
  return { dir, authority, serverConfig, services, system };
}

/** The configuration of one node of npm start's NATS cluster (AWAN_CLUSTER=1): the same operator and accounts, its own account store. */
export function clusterNodeConfig(files: NatsAuthFiles, node: string, resolverDir: string): string {
  const file = path.join(files.dir, `nats-server-${node}.conf`);
  writeSecret(file, natsServerConfig(files.authority, resolverDir));
  return file;
}

/** This machine's agent's `.creds` file (a host enrolled by npm start itself, not through the API). */
export function ensureHostCredentials(files: NatsAuthFiles, hostId: string): Promise<string> {
  return once(path.join(files.dir, `host-${hostId}.creds`), async () =>
    (await issueUserCredentials(accountSignerOf(files.authority), `host-${hostId}`, hostPermissions(hostId))).credentials,
  );
}

/** What compute needs beyond its own credentials to enroll hosts and revoke them. */
export function enrolmentEnvironment(files: NatsAuthFiles): Record<string, string> {
  return {
    NATS_ACCOUNT_SIGNING_KEY: files.authority.accountSigningKey.seed,
    NATS_OPERATOR_SIGNING_KEY: files.authority.operatorSigningKey.seed,
    NATS_SYSTEM_CREDENTIALS: files.system,
  };
}
