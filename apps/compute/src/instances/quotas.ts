import type pg from 'pg';
import { AppError } from '#libs/contracts';
import type { Sql } from '#libs/event-store';
import { readWholeNumber } from '#libs/platform';

const readLimit = (variable: string, fallback: number) => readWholeNumber(variable, fallback, { expected: 'a whole number' });

export interface QuotaLimits {
  instances: number;
  vcpus: number;
  memoryMb: number;
}

/** What an account may hold unless ADMIN set its own limits (QUOTA_INSTANCES, QUOTA_VCPUS, QUOTA_MEMORY_MB). */
export function defaultQuota(): QuotaLimits {
  return {
    instances: readLimit('QUOTA_INSTANCES', 20),
    vcpus: readLimit('QUOTA_VCPUS', 40),
    memoryMb: readLimit('QUOTA_MEMORY_MB', 64 * 1024),
  };
}

/**
 * Per-account limits on live instances (anything not DELETED), their vCPUs and memory. Callers
 * check inside a transaction holding the account's lock (`lockAccount`), so two concurrent
 * creates cannot both take the last slot.
 */
export class Quotas {
  constructor(
    private readonly pool: pg.Pool,
    private readonly defaults: QuotaLimits,
  ) {}

  static async lockAccount(tx: Sql, accountId: string): Promise<void> {
    await tx.query('SELECT pg_advisory_xact_lock(hashtextextended($1, 0))', [`instances:${accountId}`]);
  }

  async limitsOf(accountId: string, sql: Sql = this.pool): Promise<QuotaLimits> {
    const { rows } = await sql.query<QuotaLimits>(
      'SELECT instances, vcpus, memory_mb AS "memoryMb" FROM account_quotas WHERE account_id = $1',
      [accountId],
    );
    return rows[0] ?? this.defaults;
  }

  async usageOf(accountId: string, sql: Sql = this.pool, exceptInstanceId?: string): Promise<QuotaLimits> {
    const { rows } = await sql.query<QuotaLimits>(
      `SELECT count(*)::integer AS instances, coalesce(sum(vcpus), 0)::integer AS vcpus, coalesce(sum(memory_mb), 0)::integer AS "memoryMb"
       FROM instances WHERE account_id = $1 AND status <> 'DELETED' AND ($2::uuid IS NULL OR id <> $2)`,
      [accountId, exceptInstanceId ?? null],
    );
    return rows[0];
  }

  /** Throws QUOTA_EXCEEDED when adding `extra` would pass any of the account's limits. */
  async assertRoom(tx: Sql, accountId: string, extra: QuotaLimits, exceptInstanceId?: string): Promise<void> {
    const [limits, used] = await Promise.all([this.limitsOf(accountId, tx), this.usageOf(accountId, tx, exceptInstanceId)]);
    const units = { instances: 'instances', vcpus: 'vCPUs', memoryMb: 'MB of memory' };
    for (const key of ['instances', 'vcpus', 'memoryMb'] as const) {
      if (used[key] + extra[key] > limits[key]) {
        throw new AppError('QUOTA_EXCEEDED', `account ${accountId} may hold ${limits[key]} ${units[key]}; it holds ${used[key]} and this needs ${extra[key]} more`);
      }
    }
  }

  async set(accountId: unknown, limits: Partial<QuotaLimits> | undefined): Promise<QuotaLimits> {
    if (typeof accountId !== 'string' || !accountId) throw AppError.badInput('accountId', 'is required');
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
