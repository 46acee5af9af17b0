import type pg from 'pg';
import { AppError, isUuid, type AccountStandingView, type EventMetadata, type Scope } from '#libs/contracts';
import { decideInTransaction, withRetriedTransaction, type EventStore, type Sql } from '#libs/event-store';
import { inScope } from '#libs/messaging';
import type { InvoicesRepository } from '../invoices/invoices.repository.js';
import { accountStandingDecider, accountStreamId } from './account-standing.decider.js';

/**
 * Dunning: a failed payment makes an account PAST_DUE, still unpaid after the grace period it is
 * SUSPENDED, and once its failed invoices are paid or voided it is ACTIVE again (the decider's rules).
 */
export class Dunning {
  constructor(
    private readonly pool: pg.Pool,
    private readonly store: EventStore,
    private readonly invoices: InvoicesRepository,
  ) {}

  /** The standing of each account in scope among `ids`; one billing holds nothing against is ACTIVE. */
  async standing(ids: unknown, scope: Scope): Promise<AccountStandingView[]> {
    if (!Array.isArray(ids) || ids.some((id) => typeof id !== 'string')) throw AppError.badInput('ids', 'must be a list of account ids');
    const { rows } = await this.pool.query<{ accountId: string; status: AccountStandingView['status']; pastDueSince: Date | null }>(
      'SELECT account_id AS "accountId", status, past_due_since AS "pastDueSince" FROM account_standing WHERE account_id = ANY($1)',
      [ids],
    );
    const known = new Map(rows.map((row) => [row.accountId, row]));
    return (ids as string[]).filter((id) => inScope(id, scope)).map((accountId) => ({
      accountId, status: known.get(accountId)?.status ?? 'ACTIVE', pastDueSince: known.get(accountId)?.pastDueSince?.toISOString() ?? null,
    }));
  }

  /**
   * A Stripe payment failed: the account goes PAST_DUE, unless the invoice is settled already. Its
   * status is read in the transaction, its row shared-locked: a payment or void committing on another
   * replica meanwhile is waited for and seen, where read before it would leave a paid invoice holding
   * its account PAST_DUE (the settle, finding nothing unpaid, appends nothing to conflict with).
   */
  async recordPaymentFailure(invoiceId: string, reason: string, metadata: EventMetadata): Promise<void> {
    const id = invoiceId.toLowerCase();
    if (!isUuid(id)) throw AppError.notFound(`invoice ${invoiceId}`);
    await withRetriedTransaction(this.pool, async (tx) => {
      const invoice = await this.invoices.find(id, tx, { forShare: true });
      if (!invoice) throw AppError.notFound(`invoice ${invoiceId}`);
      if (invoice.status !== 'FINALIZED') return;
      await decideInTransaction(this.store, tx, accountStreamId(invoice.accountId), accountStandingDecider, { type: 'RecordPaymentFailure', accountId: invoice.accountId, invoiceId: invoice.id, reason }, metadata);
    });
  }

  /** In the transaction that pays or voids the invoice: it no longer holds its account PAST_DUE or SUSPENDED. */
  async settle(tx: Sql, invoice: { id: string; accountId: string }, metadata: EventMetadata): Promise<void> {
    await decideInTransaction(this.store, tx, accountStreamId(invoice.accountId), accountStandingDecider, { type: 'SettleInvoice', accountId: invoice.accountId, invoiceId: invoice.id }, metadata);
  }

  /** Suspends every PAST_DUE account still unpaid after the grace period; returns their ids. */
  async suspendOverdue(now: Date, graceSeconds: number, metadata: EventMetadata): Promise<string[]> {
    const { rows } = await this.pool.query<{ accountId: string }>(
      `SELECT account_id AS "accountId" FROM account_standing WHERE status = 'PAST_DUE' AND past_due_since <= $1`,
      [new Date(now.getTime() - graceSeconds * 1000)],
    );
    const suspended: string[] = [];
    for (const { accountId } of rows) {
      const events = await withRetriedTransaction(this.pool, (tx) =>
        decideInTransaction(this.store, tx, accountStreamId(accountId), accountStandingDecider, { type: 'SuspendIfOverdue', accountId, now, graceSeconds }, metadata),
      );
      if (events.length > 0) suspended.push(accountId);
    }
    return suspended;
  }
}
