import type pg from 'pg';
import { AppError, type AccountQuota, type QuotaLimits, type Scope } from '#libs/contracts';
import { lockKeyInTransaction, type Sql } from '#libs/event-store';
import { inScope } from '#libs/messaging';
import { requireAccountId, requireActingFor } from './account-scope.js';

/**
 * Per-account limits on live instances (anything not DELETED), their vCPUs and memory. Callers
 * check inside a transaction holding the account's lock (`lockAccount`), so two concurrent
 * creates cannot both take the last slot.
 */
export class Quotas {
  constructor(
    private readonly pool: pg.Pool,
    /** What an account may hold unless ADMIN set its own limits. */
    private readonly defaults: QuotaLimits,
  ) {}

  static async lockAccount(tx: Sql, accountId: string): Promise<void> {
    await lockKeyInTransaction(tx, `instances:${accountId}`);
  }

  /**
   * The account's limits (ADMIN's, else the defaults) and what its live instances hold, in one statement;
   * one being resized at the larger of its two plans (as its host's reservation is): counted at its plan
   * until the resize is done, a tenant's parallel resizes each passed the check that the others' had not yet changed.
   */
  async holdingsOf(accountId: string, sql: Sql = this.pool, exceptInstanceId?: string): Promise<{ limits: QuotaLimits; used: QuotaLimits }> {
    const { rows: [row] } = await sql.query<{ used: QuotaLimits; limits: QuotaLimits | null }>(
      `SELECT json_build_object('instances', u.instances, 'vcpus', u.vcpus, 'memoryMb', u.memory_mb) AS used,
              (SELECT json_build_object('instances', q.instances, 'vcpus', q.vcpus, 'memoryMb', q.memory_mb) FROM account_quotas q WHERE q.account_id = $1) AS limits
       FROM (SELECT count(*)::integer AS instances, coalesce(sum(greatest(i.vcpus, t.vcpus)), 0)::integer AS vcpus,
                    coalesce(sum(greatest(i.memory_mb, t.memory_mb)), 0)::integer AS memory_mb
             FROM instances i LEFT JOIN plans t ON t.id = i.state->'operation'->'resize'->>'toPlanId'
             WHERE i.account_id = $1 AND i.status <> 'DELETED' AND ($2::uuid IS NULL OR i.id <> $2)) u`,
      [accountId, exceptInstanceId ?? null],
    );
    return { limits: row.limits ?? this.defaults, used: row.used };
  }

  /** The account's limits and what it holds now; another account's, outside the caller's scope, is not there for it. */
  async of(asked: unknown, scope: Scope): Promise<AccountQuota> {
    const accountId = requireAccountId(asked);
    if (!inScope(accountId, scope)) throw AppError.notFound(`account ${accountId}`);
    return { accountId, ...(await this.holdingsOf(accountId)) };
  }

  /** Throws QUOTA_EXCEEDED when adding `extra` would pass any of the account's limits. */
  async assertRoom(tx: Sql, accountId: string, extra: QuotaLimits, exceptInstanceId?: string): Promise<void> {
    const { limits, used } = await this.holdingsOf(accountId, tx, exceptInstanceId);
    const units = { instances: 'instances', vcpus: 'vCPUs', memoryMb: 'MB of memory' };
    for (const key of ['instances', 'vcpus', 'memoryMb'] as const) {
      if (used[key] + extra[key] > limits[key]) {
        throw new AppError('QUOTA_EXCEEDED', `account ${accountId} may hold ${limits[key]} ${units[key]}; it holds ${used[key]} and this needs ${extra[key]} more`);
      }
    }
  }

  /** ADMIN's limits for an account the caller acts for. */
  async set(asked: unknown, limits: Partial<QuotaLimits> | undefined, scope: Scope): Promise<QuotaLimits> {
    const accountId = requireActingFor(asked, scope);
    for (const key of ['instances', 'vcpus', 'memoryMb'] as const) {
      const value = limits?.[key];
      if (!Number.isInteger(value) || (value as number) < 0 || (value as number) > 1_000_000_000) {
        throw AppError.badInput(`input.${key}`, 'must be a whole number from 0');
      }
    }
    const { rows } = await this.pool.query<QuotaLimits>(
      `INSERT INTO account_quotas (account_id, instances, vcpus, memory_mb) VALUES ($1, $2, $3, $4)
       ON CONFLICT (account_id) DO UPDATE SET instances = $2, vcpus = $3, memory_mb = $4
       RETURNING instances, vcpus, memory_mb AS "memoryMb"`,
      [accountId, limits!.instances, limits!.vcpus, limits!.memoryMb],
    );
    return rows[0];
  }
}
