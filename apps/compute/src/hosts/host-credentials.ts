import type { OnApplicationBootstrap, OnApplicationShutdown } from '@nestjs/common';
import { readFileSync } from 'node:fs';
import { Logger } from '@nestjs/common';
import { connect, type NatsConnection } from '@nats-io/transport-node';
import pg from 'pg';
import { AppError } from '#libs/contracts';
import { natsConnectionOptions } from '#libs/messaging';
import { AccountRevocations, hostPermissions, issueUserCredentials, userClaimsOf, type AccountSigner } from '#libs/nats-auth';
import { readNatsCredentials } from '#libs/platform';

/** What compute needs to give hosts' agents NATS credentials, and to take them back (README, "Adding a host"). */
export interface HostCredentialsConfig {
  /** The Awan account's signing key: it signs each host's user. */
  signer: AccountSigner;
  /** The operator's signing key: it signs the account's JWT re-issued with revocations. */
  operatorSigningKeySeed: string;
  /** A system account user's credentials, to push that JWT to the servers. */
  systemCredentials: string;
}

/** An nkey seed from the environment: the seed itself, or the path of a file holding it (a container's secret). */
function readSeed(variable: string, prefix: 'SA' | 'SO', what: string, env: NodeJS.ProcessEnv): string {
  const value = env[variable] ?? '';
  const seed = new RegExp(`^${prefix}[A-Z2-7]{56}$`);
  if (seed.test(value)) return value;
  let content = '';
  try {
    content = value.startsWith('/') ? readFileSync(value, 'utf8').trim() : '';
  } catch (error) {
    throw new Error(`${variable}: cannot read ${value} (${(error as NodeJS.ErrnoException).code})`);
  }
  if (!seed.test(content)) throw new Error(`${variable} must be ${what}'s nkey seed (${prefix}…), or the path of a file holding it`);
  return content;
}

/**
 * NATS_ACCOUNT_SIGNING_KEY, NATS_OPERATOR_SIGNING_KEY and NATS_SYSTEM_CREDENTIALS, all or none (none:
 * hosts cannot be enrolled). The account is the one compute's own credentials are in.
 */
export function readHostCredentialsConfig(env: NodeJS.ProcessEnv, natsCredentials: string | undefined): HostCredentialsConfig | null {
  if (!env.NATS_ACCOUNT_SIGNING_KEY) return null;
  const signingKeySeed = readSeed('NATS_ACCOUNT_SIGNING_KEY', 'SA', 'the account signing key', env);
  if (!natsCredentials) throw new Error('NATS_ACCOUNT_SIGNING_KEY needs NATS_CREDENTIALS: hosts are users of the account compute connects in');
  // Without it, no host's credentials could be revoked.
  const operatorSigningKeySeed = readSeed('NATS_OPERATOR_SIGNING_KEY', 'SO', 'the operator signing key', env);
  const systemCredentials = readNatsCredentials('NATS_SYSTEM_CREDENTIALS', env);
  if (!systemCredentials) throw new Error('NATS_SYSTEM_CREDENTIALS must name a system account user\'s credentials: revocations reach the servers through it');
  const claims = userClaimsOf(natsCredentials);
  return { signer: { accountPublicKey: claims.nats.issuer_account ?? claims.iss, signingKeySeed }, operatorSigningKeySeed, systemCredentials };
}

const LOCK = 'compute.host-credentials';
/** The most each of a push's steps on NATS may take: connecting as the system account, each request. */
const NATS_TIMEOUT_MS = 5000;

/**
 * Hosts' NATS credentials: each a user of the Awan account that may publish only its host's heartbeat
 * and answer only its host's commands. Revoked ones (the hosts projection's `host_credentials`) are
 * pushed to the servers after each enrolment or retirement, and at start, so a server that lost them
 * (a NATS whose data was reset) learns them again.
 */
export class HostCredentials implements OnApplicationBootstrap, OnApplicationShutdown {
  private readonly logger = new Logger('hosts');
  private system: Promise<NatsConnection> | null = null;

  constructor(
    private readonly config: HostCredentialsConfig | null,
    private readonly natsUrl: string,
    private readonly pool: pg.Pool,
  ) {}

  /** A new user for the host's agent: its public key, and its credentials (shown once, kept nowhere). */
  issue(hostId: string): Promise<{ publicKey: string; credentials: string }> {
    if (!this.config) {
      throw AppError.conflict(
        'hosts cannot be enrolled: compute has no NATS account signing key (NATS_ACCOUNT_SIGNING_KEY, with NATS_OPERATOR_SIGNING_KEY and NATS_SYSTEM_CREDENTIALS; npm start sets them)',
      );
    }
    return issueUserCredentials(this.config.signer, `host-${hostId}`, hostPermissions(hostId));
  }

  /**
   * Makes the servers refuse every revoked host credential, and close their connections. Serialized
   * across replicas (an advisory lock: NATS has no compare-and-set of an account's JWT), so each push
   * holds every revocation committed before it. The lock is held while NATS answers, so it is taken
   * on a session of its own, never one of the pool's: an enrolment waiting on it holds no connection
   * another request needs. Every wait is bounded: the lock by lock_timeout, NATS by its requests'.
   */
  async pushRevocations(): Promise<void> {
    if (!this.config) return; // then compute never issued any
    const session = new pg.Client(this.pool.options);
    session.on('error', () => undefined); // a lost server fails the next query instead
    await session.connect();
    try {
      // Ending the session gives the lock up, whatever happened meanwhile.
      await session.query('SELECT pg_advisory_lock(hashtext($1))', [LOCK]);
      const { rows } = await session.query<{ userKey: string; at: string }>(
        `SELECT user_key AS "userKey", floor(extract(epoch FROM revoked_at))::bigint::text AS at FROM host_credentials WHERE revoked_at IS NOT NULL`,
      );
      if (rows.length === 0) return;
      const revocations = new AccountRevocations(await this.connectSystem(), this.config.signer.accountPublicKey, this.config.operatorSigningKeySeed, NATS_TIMEOUT_MS);
      await revocations.revoke(Object.fromEntries(rows.map((row) => [row.userKey, Number(row.at)])));
    } finally {
      await session.end().catch(() => undefined);
    }
  }

  onApplicationBootstrap(): void {
    this.pushRevocations().catch((error: Error) => this.logger.error(`revoked host credentials not pushed to NATS: ${error.message}`));
  }

  async onApplicationShutdown(): Promise<void> {
    const system = await this.system?.catch(() => null);
    await system?.close();
  }

  private connectSystem(): Promise<NatsConnection> {
    if (!this.system) {
      this.system = connect({
        ...natsConnectionOptions({ natsUrl: this.natsUrl, natsCredentials: this.config!.systemCredentials }, 'awan-compute-revocations'),
        timeout: NATS_TIMEOUT_MS,
      });
      this.system.catch(() => (this.system = null));
    }
    return this.system;
  }
}
