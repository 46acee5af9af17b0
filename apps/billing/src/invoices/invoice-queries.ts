import type pg from 'pg';
import { AppError, isInvoiceId, MONTH_CSV_BATCH, type CountedPage, type CreditNoteView, type InvoiceLineView, type InvoiceListRequest, type InvoiceStatus, type InvoiceView, type ResourceCostView, type Scope } from '#libs/contracts';
import type { Sql } from '#libs/event-store';
import { accountsOf, decodeCursor, encodeCursor, inScope, pageSize, toPage } from '#libs/messaging';
import { Accounts } from '../accounts/accounts.js';
import { formatMinor, signedMinor } from '../money/money.js';
import { monthOf } from '../rating/rating.js';
import { iso, nowSecond, parseMonth, periodOf } from './calendar.js';
import { CSV_HEADER, invoiceCsv, invoiceCsvRows, type CsvInvoice } from './invoice-csv.js';
import { invoiceIdOf, type InvoiceRating } from './invoice-rating.js';
import type { InvoiceRow, InvoicesRepository } from './invoices.repository.js';

const STATUSES: readonly InvoiceStatus[] = ['DRAFT', 'FINALIZED', 'PAID', 'VOID'];
/** An invoice id is a UUID, in either case: anything else would reach PostgreSQL's uuid column as an internal error, not bad input. */
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

  /** An invoice's CSV, the header and its rows, as the month's lists them; the running month's as it stands. */
  async csv(id: unknown, scope: Scope): Promise<string> {
    const found = await this.locate(id, scope);
    return 'row' in found ? this.csvOf([found.row], true) : invoiceCsv([await this.upcoming(found.accountId, scope)]);
  }

  /**
   * The ids of every invoice of a month the caller may see, drafts included, in the order the
   * month's CSV lists them (numbered ones first): the gateway asks their rows MONTH_CSV_BATCH at a time,
   * so that neither side holds the whole month's CSV.
   */
  async monthIds(month: unknown, scope: Scope): Promise<string[]> {
    return this.invoices.idsOfMonth(parseMonth(month, 'month'), accountsOf(scope));
  }

  /**
   * The CSV rows of these invoices (ids monthIds gave), in that order, after the header where asked.
   * An invoice outside the caller's scope is left out, as monthIds left it.
   */
  async csvRows(ids: unknown, header: unknown, scope: Scope): Promise<string> {
    if (!Array.isArray(ids) || ids.length > MONTH_CSV_BATCH || !ids.every(isInvoiceId)) {
      throw AppError.badInput('ids', `must be a list of at most ${MONTH_CSV_BATCH} invoice ids`);
    }
    if (typeof header !== 'boolean') throw AppError.badInput('header', 'must be true or false');
    return this.csvOf(await this.invoices.listed(ids.map((id: string) => id.toLowerCase()), accountsOf(scope)), header);
  }

  /**
   * The rows of these invoices, after the header where asked: finalized ones as frozen, their lines
   * read without their usage (which no row shows) in one statement; drafts rated as they stand.
   */
  private async csvOf(rows: InvoiceRow[], header: boolean): Promise<string> {
    const frozenLines = await this.invoices.csvLines(rows.filter((row) => !ratedLive(row)).map((row) => row.id));
    const notes = Map.groupBy(await this.invoices.creditNotes(rows.map((row) => row.id)), (note) => note.invoiceId);
    const invoices: CsvInvoice[] = [];
    for (const row of rows) {
      const totals = ratedLive(row) ? await this.liveTotals(row, this.pool) : frozenTotals(row, frozenLines.get(row.id) ?? []);
      invoices.push(viewOf(row, totals, notes.get(row.id) ?? []));
    }
    return (header ? CSV_HEADER : '') + invoiceCsvRows(invoices);
  }

  /**
   * The invoice, or, for an id no invoice has yet, the account in scope whose running month's
   * invoice it names (ids come from account and month: upcomingInvoice gave it); else NOT_FOUND.
   */
  async locate(id: unknown, scope: Scope, field = 'id'): Promise<{ row: InvoiceRow } | { accountId: string }> {
    if (!isInvoiceId(id)) throw AppError.badInput(field, 'must be an invoice id');
    const row = await this.invoices.find(id.toLowerCase());
    if (row && inScope(row.accountId, scope)) return { row };
    const period = monthOf(nowSecond());
    const accountId = (await Accounts.idsIn(this.pool, accountsOf(scope))).find((account) => invoiceIdOf(account, period) === id.toLowerCase());
    if (!accountId) throw AppError.notFound(`invoice ${id}`);
    return { accountId };
  }

  /** A draft (or a draft voided before it had a number) is rated as it stands; a finalized invoice is what was frozen. */
  async view(row: InvoiceRow, sql: Sql = this.pool): Promise<InvoiceView> {
    const totals = ratedLive(row) ? await this.liveTotals(row, sql) : frozenTotals(row, await this.invoices.frozenLines(row.id, sql));
    return viewOf(row, totals, await this.invoices.creditNotes([row.id], sql));
  }

  private async liveTotals(row: InvoiceRow, sql: Sql): Promise<Totals<InvoiceLineView>> {
    const account = (await Accounts.find(sql, row.accountId))!;
    const { lines, subtotal, tax, total } = await this.rating.rate(sql, account, row.id, periodOf(row.periodStart, row.periodEnd), nowSecond(), true);
    return { lines, subtotal, tax, total };
  }
}

/** The lines and totals of an invoice, with its lines whole (a view) or as its CSV rows show them. */
type Totals<L> = { lines: L[]; subtotal: string; tax: string; total: string };

/** A draft, or a draft voided before it had a number, has no frozen lines: it is rated as it stands. */
const ratedLive = (row: InvoiceRow) => row.status === 'DRAFT' || (row.status === 'VOID' && row.number === null);

const frozenTotals = <L>(row: InvoiceRow, lines: L[]): Totals<L> => ({ lines, subtotal: row.subtotal!, tax: row.tax!, total: row.total! });

/**
 * An invoice as finalizing it left it: the lines it froze, and no credit note (an invoice takes
 * them once final), without reading back what it just wrote.
 */
export const finalizedView = (row: InvoiceRow, lines: InvoiceLineView[]): InvoiceView => viewOf(row, frozenTotals(row, lines), []);

function viewOf<L>(row: InvoiceRow, totals: Totals<L>, creditNotes: CreditNoteView[]): Omit<InvoiceView, 'lines'> & { lines: L[] } {
  return {
    id: row.id, number: row.number, accountId: row.accountId, issuerId: row.issuerId, status: row.status, currency: row.currency,
    periodStart: row.periodStart.toISOString(), periodEnd: row.periodEnd.toISOString(), ...totals,
    issuedAt: row.issuedAt?.toISOString() ?? null, paidAt: row.paidAt?.toISOString() ?? null, paymentReference: row.paymentReference,
    creditNotes,
  };
}
