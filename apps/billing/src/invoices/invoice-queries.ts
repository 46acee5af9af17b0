import type pg from 'pg';
import { AppError, type CountedPage, type CreditNoteView, type InvoiceLineView, type InvoiceListRequest, type InvoiceStatus, type InvoiceView, type ResourceCostView, type Scope } from '#libs/contracts';
import type { Sql } from '#libs/event-store';
import { accountsOf, decodeCursor, encodeCursor, inScope, pageSize, toPage } from '#libs/messaging';
import { Accounts } from '../accounts/accounts.js';
import { formatMinor, signedMinor } from '../money/money.js';
import { monthOf } from '../rating/rating.js';
import { iso, nowSecond, parseMonth, periodOf } from './calendar.js';
import { invoiceCsv } from './invoice-csv.js';
import { invoiceIdOf, type InvoiceRating } from './invoice-rating.js';
import type { InvoiceRow, InvoicesRepository } from './invoices.repository.js';

const STATUSES: readonly InvoiceStatus[] = ['DRAFT', 'FINALIZED', 'PAID', 'VOID'];
const INVOICE_ID = /^[0-9a-f-]{36}$/i;

/**
 * Reading invoices: the upcoming one and every draft rated live, finalized ones as they were
 * frozen, each resource's cost to date, and the CSV exports. Nothing here changes anything.
 */
export class InvoiceQueries {
  constructor(
    private readonly pool: pg.Pool,
    private readonly invoices: InvoicesRepository,
    private readonly rating: InvoiceRating,
  ) {}

  /** This month's invoice as it stands: rated from usage to date, with late usage of finalized months unless a draft carries it. */
  async upcoming(accountId: unknown, scope: Scope): Promise<InvoiceView> {
    const account = await Accounts.get(this.pool, accountId, scope);
    const now = nowSecond();
    const period = monthOf(now);
    const id = invoiceIdOf(account.id, period);
    const withAdjustments = !(await this.invoices.hasDraft(account.id));
    const { lines, subtotal, tax, total } = await this.rating.rate(this.pool, account, id, period, now, withAdjustments);
    return {
      id, number: null, accountId: account.id, issuerId: account.issuerId, status: 'DRAFT', currency: account.currency,
      periodStart: iso(period.start), periodEnd: iso(period.end), lines, subtotal, tax, total,
      issuedAt: null, paidAt: null, paymentReference: null, creditNotes: [],
    };
  }

  /**
   * What each resource has cost so far this month, as its own account's upcoming invoice rates it
   * (the gateway's Instance.costToDate): one rating per account, however many resources it has.
   * A resource billing has not metered yet is left out.
   */
  async costsToDate(resourceIds: unknown, scope: Scope): Promise<ResourceCostView[]> {
    if (!Array.isArray(resourceIds) || resourceIds.length > 500 || resourceIds.some((id) => typeof id !== 'string')) {
      throw AppError.badInput('resourceIds', 'must be a list of at most 500 resource ids');
    }
    const byAccount = new Map<string, string[]>();
    for (const { id, accountId } of await this.invoices.resourceOwners(resourceIds)) {
      if (inScope(accountId, scope)) byAccount.set(accountId, [...(byAccount.get(accountId) ?? []), id]);
    }
    const now = nowSecond();
    const period = monthOf(now);
    const costs = await Promise.all([...byAccount].map(async ([accountId, resources]) => {
      const account = await Accounts.find(this.pool, accountId);
      if (!account) return [];
      const { lines } = await this.rating.rate(this.pool, account, invoiceIdOf(account.id, period), period, now, false);
      return resources.map((id) => {
        const minor = lines.filter((line) => line.resourceId === id).reduce((sum, line) => sum + signedMinor(line.amount, account.currency), 0n);
        return { resourceId: id, amount: formatMinor(minor, account.currency), currency: account.currency };
      });
    }));
    return costs.flat();
  }

  /** An invoice by id; the running month's, not drafted yet, is the upcoming one (it keeps its id when drafted). */
  async get(id: unknown, scope: Scope): Promise<InvoiceView> {
    const found = await this.locate(id, scope);
    return 'row' in found ? this.view(found.row) : this.upcoming(found.accountId, scope);
  }

  async list(request: InvoiceListRequest, scope: Scope): Promise<CountedPage<InvoiceView>> {
    const status = request.status ?? null;
    if (status !== null && !STATUSES.includes(status)) throw AppError.badInput('status', `must be one of ${STATUSES.join(', ')}`);
    const first = pageSize(request.first);
    const { rows, totalCount } = await this.invoices.page({
      accounts: accountsOf(scope), accountId: request.accountId ?? null, status, after: decodeCursor('invoice', request.after), limit: first + 1,
    });
    const views = await Promise.all(rows.slice(0, first).map((row) => this.view(row)));
    const page = toPage(rows, first, (row) => encodeCursor('invoice', row.position), (row) => views[rows.indexOf(row)]);
    return { ...page, totalCount };
  }

  async csv(id: unknown, scope: Scope): Promise<string> {
    return invoiceCsv([await this.get(id, scope)]);
  }

  /** Every invoice of a month the caller may see, drafts included, as one CSV. */
  async csvOfMonth(month: unknown, scope: Scope): Promise<string> {
    const views: InvoiceView[] = [];
    for (const row of await this.invoices.ofMonth(parseMonth(month, 'month'), accountsOf(scope))) views.push(await this.view(row));
    return invoiceCsv(views);
  }

  /**
   * The invoice, or, for an id no invoice has yet, the account in scope whose running month's
   * invoice it names (ids come from account and month: upcomingInvoice gave it); else NOT_FOUND.
   */
  async locate(id: unknown, scope: Scope, field = 'id'): Promise<{ row: InvoiceRow } | { accountId: string }> {
    if (typeof id !== 'string' || !INVOICE_ID.test(id)) throw AppError.badInput(field, 'must be an invoice id');
    const row = await this.invoices.find(id.toLowerCase());
    if (row && inScope(row.accountId, scope)) return { row };
    const period = monthOf(nowSecond());
    const accountId = (await Accounts.idsIn(this.pool, accountsOf(scope))).find((account) => invoiceIdOf(account, period) === id.toLowerCase());
    if (!accountId) throw AppError.notFound(`invoice ${id}`);
    return { accountId };
  }

  /** A draft (or a draft voided before it had a number) is rated as it stands; a finalized invoice is what was frozen. */
  async view(row: InvoiceRow, sql: Sql = this.pool): Promise<InvoiceView> {
    let totals: Pick<InvoiceView, 'lines' | 'subtotal' | 'tax' | 'total'>;
    if (row.status === 'DRAFT' || (row.status === 'VOID' && row.number === null)) {
      const account = (await Accounts.find(sql, row.accountId))!;
      const { lines, subtotal, tax, total } = await this.rating.rate(sql, account, row.id, periodOf(row.periodStart, row.periodEnd), nowSecond(), true);
      totals = { lines, subtotal, tax, total };
    } else {
      totals = { lines: await this.invoices.frozenLines(row.id, sql), subtotal: row.subtotal!, tax: row.tax!, total: row.total! };
    }
    return viewOf(row, totals, await this.invoices.creditNotes([row.id], sql));
  }
}

/**
 * An invoice as finalizing it left it: the lines it froze, and no credit note (an invoice takes
 * them once final), without reading back what it just wrote.
 */
export const finalizedView = (row: InvoiceRow, lines: InvoiceLineView[]): InvoiceView => viewOf(row, { lines, subtotal: row.subtotal!, tax: row.tax!, total: row.total! }, []);

function viewOf(row: InvoiceRow, totals: Pick<InvoiceView, 'lines' | 'subtotal' | 'tax' | 'total'>, creditNotes: CreditNoteView[]): InvoiceView {
  return {
    id: row.id, number: row.number, accountId: row.accountId, issuerId: row.issuerId, status: row.status, currency: row.currency,
    periodStart: row.periodStart.toISOString(), periodEnd: row.periodEnd.toISOString(), ...totals,
    issuedAt: row.issuedAt?.toISOString() ?? null, paidAt: row.paidAt?.toISOString() ?? null, paymentReference: row.paymentReference,
    creditNotes,
  };
}
