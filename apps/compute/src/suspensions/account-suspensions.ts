import type pg from 'pg';
import { AppError, type BillingEvents, type EventEnvelope, type EventMetadata, SYSTEM_ACTOR } from '#libs/contracts';
import { decideInTransaction, withRetriedTransaction, withTransaction, type EventStore, type Sql } from '#libs/event-store';
import { instanceDecider, instanceStreamId, type InstanceState } from '../instances/instance.decider.js';
import { Quotas } from '../instances/quotas.js';
import { suspensionStep } from './suspension-step.js';

/** Billing's events that suspend an account and lift the suspension; compute ignores AccountPastDue. */
export const SUSPENSION_EVENT_TYPES = ['AccountSuspended', 'AccountReinstated'] as const;

/**
 * Billing's dunning as compute obeys it. A suspended account's running instances are stopped
 * (never deleted), and nothing of it may run again until billing reinstates it; reinstatement
 * starts nothing, the customer does. Creates, starts, reboots and resizes check the suspension
 * under the account's instance lock, which recording a suspension takes too: an instance is
 * either created or started before the suspension, and then stopped by it, or refused.
 */
export class AccountSuspensions {
  constructor(
    private readonly pool: pg.Pool,
    private readonly store: EventStore,
  ) {}

  /** Throws CONFLICT while billing has the account suspended; `tx` holds the account's lock (Quotas.lockAccount). */
  async assertNotSuspended(tx: Sql, accountId: string): Promise<void> {
    if (await this.isSuspended(tx, accountId)) throw AppError.conflict(`account ${accountId} is suspended for non-payment`);
  }

  /**
   * Applies AccountSuspended or AccountReinstated, then, for a suspension, stops the account's
   * running instances. Runs again in full on every delivery: the recorded version makes the
   * record idempotent and the decider the stops. Throws while an instance cannot be stopped
   * yet, so the event comes back after a backoff, with the suspension already in force.
   */
  async handle(event: EventEnvelope): Promise<void> {
    const { accountId } = event.data as BillingEvents['AccountSuspended'] | BillingEvents['AccountReinstated'];
    if (typeof accountId !== 'string' || !accountId) throw new Error(`${event.type} ${event.eventId} names no account`);
    const suspended = await this.record(event, accountId);
    // A stale suspension (reinstated since) stops nothing.
    if (event.type === 'AccountSuspended' && suspended) await this.stopInstances(accountId, event);
  }

  /** Applies the event unless a newer one of the account's stream was applied already; returns whether the account is suspended now. */
  private record(event: EventEnvelope, accountId: string): Promise<boolean> {
    return withTransaction(this.pool, async (tx) => {
      await Quotas.lockAccount(tx, accountId);
      const { rowCount } = await tx.query(
        `INSERT INTO suspension_versions (account_id, version) VALUES ($1, $2)
         ON CONFLICT (account_id) DO UPDATE SET version = excluded.version WHERE suspension_versions.version < excluded.version`,
        [accountId, event.version],
      );
      if (rowCount === 1) {
        if (event.type === 'AccountSuspended') {
          await tx.query(
            'INSERT INTO suspended_accounts (account_id, suspended_at) VALUES ($1, $2) ON CONFLICT (account_id) DO NOTHING',
            [accountId, event.occurredAt],
          );
        } else {
          await tx.query('DELETE FROM suspended_accounts WHERE account_id = $1', [accountId]);
        }
      }
      return this.isSuspended(tx, accountId);
    });
  }

  /** Gracefully stops each running instance of the account, as `compute.instance.stop` does, on the system's behalf. */
  private async stopInstances(accountId: string, event: EventEnvelope): Promise<void> {
    const metadata: EventMetadata = { correlationId: event.metadata.correlationId, causationId: event.eventId, actor: SYSTEM_ACTOR };
    // Retried whole when an instance's stream moved on meanwhile (its provisioner answered).
    const waiting = await withRetriedTransaction(this.pool, async (tx) => {
      // Under the account's lock: a reinstatement applied meanwhile (by another replica) lets everything be.
      await Quotas.lockAccount(tx, accountId);
      if (!(await this.isSuspended(tx, accountId))) return [];
      const { rows } = await tx.query<{ id: string; status: string; state: InstanceState }>(
        `SELECT id, status, state FROM instances WHERE account_id = $1 AND status <> 'DELETED' ORDER BY position`,
        [accountId],
      );
      const notYet: string[] = [];
      for (const { id, status, state } of rows) {
        const step = suspensionStep(state);
        if (step === 'wait') notYet.push(`${id} (${status})`);
        if (step !== 'stop') continue;
        try {
          await decideInTransaction(this.store, tx, instanceStreamId(id), instanceDecider, { type: 'StopInstance', force: false }, metadata);
        } catch (error) {
          // Its user stopped or deleted it since it was read: judged again on the next delivery.
          if (!(error instanceof AppError && error.code === 'CONFLICT')) throw error;
          notYet.push(`${id} (${status})`);
        }
      }
      return notYet;
    });
    if (waiting.length > 0) {
      throw AppError.conflict(`account ${accountId} is suspended; instances not stoppable yet, stopped once they settle: ${waiting.join(', ')}`);
    }
  }

  private async isSuspended(sql: Sql, accountId: string): Promise<boolean> {
    const { rowCount } = await sql.query('SELECT 1 FROM suspended_accounts WHERE account_id = $1', [accountId]);
    return rowCount === 1;
  }
}
