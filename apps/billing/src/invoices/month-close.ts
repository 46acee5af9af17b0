import type pg from 'pg';
import { AppError, type EventMetadata, type MonthClosed } from '#libs/contracts';
import { withRetriedTransaction, type EventStore } from '#libs/event-store';
import { Accounts } from '../accounts/accounts.js';
import { monthOf, type Period } from '../rating/rating.js';
import { iso, nowSecond } from './calendar.js';
import { invoiceDecider, invoiceStreamId } from './invoice.decider.js';
import { invoiceIdOf } from './invoice-rating.js';
import type { InvoicesRepository } from './invoices.repository.js';

/** Drafts appended in one statement and committed together: a month of 10,000 accounts is ten transactions. */
const DRAFTS_PER_TRANSACTION = 1000;

/** Closing a month: a draft for every account with something to invoice, which stays live until finance finalizes it. */
export class MonthClose {
  constructor(
    private readonly pool: pg.Pool,
    private readonly store: EventStore,
    private readonly invoices: InvoicesRepository,
  ) {}

  /**
   * Drafts the month's invoice of every account with usage in it, every reseller whose
   * customers had some, and every account whose late usage waits for an invoice, a batch of
   * accounts to a transaction. Idempotent: an invoice's id comes from its account and month.
   * The month is closed first, so usage committing while the drafts are chosen and made is either
   * seen by the choice or marked late (it never falls between), and marked drafted last, so a close
   * cut short is made again by the job.
   */
  async closeMonth(period: Period, metadata: EventMetadata): Promise<MonthClosed> {
    if (period.end > nowSecond()) throw AppError.conflict(`the month ${iso(period.start).slice(0, 7)} has not ended`);
    await this.invoices.markClosed(period);
    const accounts = await this.invoices.toDraft(period);
    const known = accounts.filter((a) => a.known).map((a) => a.accountId);
    let drafted = 0;
    for (let i = 0; i < known.length; i += DRAFTS_PER_TRANSACTION) drafted += await this.draft(known.slice(i, i + DRAFTS_PER_TRANSACTION), period, metadata);
    await this.invoices.markDrafted(period);
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

  /**
   * The accounts' drafts in one transaction and one append. An invoice not drafted yet has an empty
   * stream: its draft is decided on the initial state and appended at version 0, so one drafted
   * meanwhile (another close) fails the batch, which runs again without it.
   */
  private async draft(accountIds: string[], period: Period, metadata: EventMetadata): Promise<number> {
    const invoiceIds = new Map(accountIds.map((id) => [id, invoiceIdOf(id, period)]));
    return withRetriedTransaction(this.pool, async (tx) => {
      const accounts = new Map((await Accounts.findMany(tx, accountIds)).map((account) => [account.id, account]));
      const drafted = await this.invoices.existing(tx, [...invoiceIds.values()]);
      const undrafted = accountIds.filter((id) => !drafted.has(invoiceIds.get(id)!));
      const appends = undrafted.map((id) => {
        const account = accounts.get(id)!;
        const invoiceId = invoiceIds.get(id)!;
        const header = { invoiceId, accountId: id, issuerId: account.issuerId, currency: account.currency, periodStart: iso(period.start), periodEnd: iso(period.end) };
        return { streamId: invoiceStreamId(invoiceId), expectedVersion: 0, events: invoiceDecider.decide({ type: 'DraftInvoice', header }, invoiceDecider.initialState()) };
      });
      await this.invoices.clearLateUsage(tx, undrafted, period);
      return (await this.store.appendToStreams(appends, { metadata, tx })).length;
    });
  }
}
