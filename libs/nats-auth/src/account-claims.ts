import { setTimeout as sleep } from 'node:timers/promises';
import type { NatsConnection } from '@nats-io/transport-node';
import { accountClaimsOf, withRevocations } from './authority.js';

/**
 * Revokes users of the Awan account on the NATS servers, through the system account: reads the
 * account's JWT, re-issues it with the users' keys in its revocations (signed by the operator's
 * signing key) and pushes it (`$SYS.REQ.CLAIMS.UPDATE`). The servers then refuse those users and
 * close the connections they have. Callers serialize their revocations (two at once could each push
 * a JWT without the other's).
 */
export class AccountRevocations {
  constructor(
    private readonly system: NatsConnection,
    private readonly accountPublicKey: string,
    private readonly operatorSigningKeySeed: string,
    private readonly timeoutMs = 5000,
  ) {}

  /**
   * Revokes each user (public key → the second from which its JWTs issued until then are refused);
   * when the account already has them all, nothing is pushed.
   */
  async revoke(revocations: Record<string, number>): Promise<void> {
    const current = (await this.system.request(`$SYS.REQ.ACCOUNT.${this.accountPublicKey}.CLAIMS.LOOKUP`, '', { timeout: this.timeoutMs })).string();
    const claims = accountClaimsOf(current);
    const missing = Object.entries(revocations).filter(([key, at]) => (claims.nats.revocations?.[key] ?? -1) < at);
    if (missing.length === 0) return;
    // A server keeps the JWT with the later issue time, and JWTs count time in whole seconds. One
    // issued further ahead than a request may take came from a clock wrong by that much: no waiting it out.
    const ahead = (claims.iat + 1) * 1000 - Date.now();
    if (ahead > this.timeoutMs) {
      throw new Error(`the account's JWT was issued ${Math.ceil(ahead / 1000)} s ahead of this host's clock: set the clocks right, then push again`);
    }
    if (ahead > 0) await sleep(ahead);
    const next = await withRevocations(current, Object.fromEntries(missing), this.operatorSigningKeySeed);
    const reply = (await this.system.request('$SYS.REQ.CLAIMS.UPDATE', next, { timeout: this.timeoutMs })).json<{
      data?: { code?: number; message?: string };
      error?: { code?: number; description?: string };
    }>();
    if (reply.data?.code !== 200) {
      throw new Error(`NATS did not take the account's revocations: ${reply.error?.description ?? reply.data?.message ?? 'no reason given'}`);
    }
  }
}
