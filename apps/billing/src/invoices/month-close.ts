import type pg from 'pg';
import { AppError, type EventMetadata, type MonthClosed } from '#libs/contracts';
import { decideInTransaction, withRetriedTransaction, type EventStore } from '#libs/event-store';
import { Accounts, type BillingAccount } from '../accounts/accounts.js';
import { monthOf, type Period } from '../rating/rating.js';
import { iso, nowSecond } from './calendar.js';
import { invoiceDecider, invoiceStreamId } from './invoice.decider.js';
import { invoiceIdOf } from './invoice-rating.js';
import type { InvoicesRepository } from './invoices.repository.js';

/** Closing a month: a draft for every account with something to invoice, which stays live until finance finalizes it. */
export class MonthClose {
  constructor(
    private readonly pool: pg.Pool,
    private readonly store: EventStore,
    private readonly invoices: InvoicesRepository,
  ) {}

  /**
   * Drafts the month's invoice of every account with usage in it, every reseller whose
   * customers had some, and every account whose late usage waits for an invoice. Idempotent:
   * an invoice's id comes from its account and month.
   */
  async closeMonth(period: Period, metadata: EventMetadata): Promise<MonthClosed> {
    if (period.end > nowSecond()) throw AppError.conflict(`the month ${iso(period.start).slice(0, 7)} has not ended`);
    const accounts = await this.invoices.toDraft(period);
    let drafted = 0;
    for (const { accountId } of accounts.filter((a) => a.known)) drafted += await this.draft((await Accounts.find(this.pool, accountId))!, period, metadata);
    await this.invoices.markClosed(period);
    return { drafted, unknownAccounts: accounts.filter((a) => !a.known).map((a) => a.accountId) };
  }

  /** Ended months not yet closed, oldest first: the last one closed is where the job goes on from. */
  async monthsToClose(closeAfterSeconds: number): Promise<Period[]> {
    const latest = monthOf(nowSecond() - closeAfterSeconds).start - 1; // a second of the last month that may close
    const last = await this.invoices.lastClosed();
    const months: Period[] = [];
    for (let month = monthOf(last ?? latest); month.end <= latest + 1; month = monthOf(month.end)) {
      if (last === null || month.start > last) months.push(month);
    }
    return months;
  }

  private async draft(account: BillingAccount, period: Period, metadata: EventMetadata): Promise<number> {
    const invoiceId = invoiceIdOf(account.id, period);
    const header = { invoiceId, accountId: account.id, issuerId: account.issuerId, currency: account.currency, periodStart: iso(period.start), periodEnd: iso(period.end) };
    const events = await withRetriedTransaction(this.pool, (tx) => decideInTransaction(this.store, tx, invoiceStreamId(invoiceId), invoiceDecider, { type: 'DraftInvoice', header }, metadata));
    return events.length;
  }
}
