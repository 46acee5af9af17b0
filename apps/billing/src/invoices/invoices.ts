import { randomUUID } from 'node:crypto';
import type pg from 'pg';
import { AppError, PLATFORM_SCOPE, type CreditNoteView, type EventMetadata, type InvoiceLineView, type InvoiceView, type Scope } from '#libs/contracts';
import { decideInTransaction, withRetriedTransaction, type EventStore, type Sql } from '#libs/event-store';
import { accountsOf, decodeCursor, encodeCursor, inScope, pageSize, toPage, type Page } from '#libs/messaging';
import { accountStandingDecider, accountStreamId } from '../accounts/account-standing.decider.js';
import { Accounts, type BillingAccount } from '../accounts/accounts.js';
import { PLATFORM } from '../prices/price-list.decider.js';
import { formatMinor, parseMinor } from '../money/money.js';
import { monthOf, type Period } from '../rating/rating.js';
import { invoiceCsv } from './invoice-csv.js';
import { invoiceDecider, invoiceStreamId, monthNotEnded, type InvoiceCommand, type InvoiceStatus } from './invoice.decider.js';
import { invoiceIdOf, type InvoiceRating } from './invoice-rating.js';

export interface InvoiceListFilter extends Scope {
  accountId?: string;
  status?: InvoiceStatus;
  first?: number;
  after?: string;
}

interface InvoiceRow {
  id: string;
  position: string;
  accountId: string;
  issuerId: string;
  currency: string;
  periodStart: Date;
  periodEnd: Date;
  status: InvoiceStatus;
  number: string | null;
  subtotal: string | null;
  tax: string | null;
  total: string | null;
  issuedAt: Date | null;
  paidAt: Date | null;
  paymentReference: string | null;
}

const INVOICE_COLUMNS = `id, position, account_id AS "accountId", issuer_id AS "issuerId", currency, period_start AS "periodStart", period_end AS "periodEnd",
  status, number, subtotal::text, tax::text, total::text, issued_at AS "issuedAt", paid_at AS "paidAt", payment_reference AS "paymentReference"`;

const STATUSES: readonly InvoiceStatus[] = ['DRAFT', 'FINALIZED', 'PAID', 'VOID'];
const MONTH = /^(\d{4})-(\d{2})$/;
const iso = (second: number) => new Date(second * 1000).toISOString();
const nowSecond = () => Math.floor(Date.now() / 1000);

/** `2026-10` as its calendar month in UTC. */
export function parseMonth(value: unknown, field: string): Period {
  const match = typeof value === 'string' ? MONTH.exec(value) : null;
  const month = match ? Number(match[2]) : 0;
  if (!match || month < 1 || month > 12) throw AppError.badInput(field, 'must be a month as YYYY-MM');
  return monthOf(Date.UTC(Number(match[1]), month - 1, 1) / 1000);
}

/** The prefix of an issuer's numbers: AWN for the platform, a reseller's from its name and id, so no two issuers share one. */
export function numberPrefix(issuer: Pick<BillingAccount, 'id' | 'name'> | null): string {
  if (!issuer) return 'AWN';
  const letters = issuer.name.toUpperCase().replace(/[^A-Z0-9]/g, '').slice(0, 4) || 'RS';
  return `${letters}-${issuer.id.replace(/[^a-zA-Z0-9]/g, '').slice(0, 4).toUpperCase()}`;
}

/**
 * Invoices: the live upcoming one, drafts made when a month closes, and what finance does with
 * them. Whatever touches two streams or takes a number does it in one transaction.
 */
export class Invoices {
  constructor(
    private readonly pool: pg.Pool,
    private readonly store: EventStore,
    private readonly rating: InvoiceRating,
  ) {}

  /** This month's invoice as it stands: rated from usage to date, with late usage of finalized months unless a draft carries it. */
  async upcoming(accountId: unknown, scope: Scope): Promise<InvoiceView> {
    const account = await Accounts.get(this.pool, accountId, scope);
    const now = nowSecond();
    const period = monthOf(now);
    const id = invoiceIdOf(account.id, period);
    const { rows } = await this.pool.query(`SELECT 1 FROM invoices WHERE account_id = $1 AND status = 'DRAFT'`, [account.id]);
    const { lines, subtotal, tax, total } = await this.rating.rate(this.pool, account, id, period, now, rows.length === 0);
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
  async costsToDate(resourceIds: unknown, scope: Scope): Promise<{ resourceId: string; amount: string; currency: string }[]> {
    if (!Array.isArray(resourceIds) || resourceIds.length > 500 || resourceIds.some((id) => typeof id !== 'string')) {
      throw AppError.badInput('resourceIds', 'must be a list of at most 500 resource ids');
    }
    const { rows } = await this.pool.query<{ id: string; accountId: string }>(
      'SELECT id, account_id AS "accountId" FROM resources WHERE id = ANY($1)',
      [resourceIds],
    );
    const byAccount = new Map<string, string[]>();
    for (const { id, accountId } of rows.filter((row) => inScope(row.accountId, scope))) {
      const ids = byAccount.get(accountId) ?? [];
      ids.push(id);
      byAccount.set(accountId, ids);
    }
    const now = nowSecond();
    const period = monthOf(now);
    const costs = await Promise.all([...byAccount].map(async ([accountId, resources]) => {
      const account = await Accounts.find(this.pool, accountId);
      if (!account) return [];
      const { lines } = await this.rating.rate(this.pool, account, invoiceIdOf(account.id, period), period, now, false);
      return resources.map((id) => {
        const minor = lines.filter((line) => line.resourceId === id).reduce((sum, line) => sum + parseMinor(line.amount, 'amount', account.currency), 0n);
        return { resourceId: id, amount: formatMinor(minor, account.currency), currency: account.currency };
      });
    }));
    return costs.flat();
  }

  /** An invoice by id; the running month's, not drafted yet, is the upcoming one (it keeps its id when drafted). */
  async get(id: unknown, scope: Scope): Promise<InvoiceView> {
    const found = await this.findOrRunningMonth(id, scope);
    return 'row' in found ? this.view(this.pool, found.row) : this.upcoming(found.accountId, scope);
  }

  async list(filter: InvoiceListFilter): Promise<Page<InvoiceView> & { totalCount: number }> {
    if (filter.status !== undefined && filter.status !== null && !STATUSES.includes(filter.status)) throw AppError.badInput('status', `must be one of ${STATUSES.join(', ')}`);
    const first = pageSize(filter.first);
    const after = decodeCursor('invoice', filter.after);
    const where = `($1::text[] IS NULL OR account_id = ANY($1)) AND ($2::text IS NULL OR account_id = $2) AND ($3::text IS NULL OR status = $3)`;
    const args = [accountsOf(filter), filter.accountId ?? null, filter.status ?? null];
    const [{ rows }, { rows: count }] = await Promise.all([
      this.pool.query<InvoiceRow>(`SELECT ${INVOICE_COLUMNS} FROM invoices WHERE ${where} AND position > $4 ORDER BY position LIMIT $5`, [...args, after, first + 1]),
      this.pool.query<{ n: number }>(`SELECT count(*)::integer AS n FROM invoices WHERE ${where}`, args),
    ]);
    const views = await Promise.all(rows.slice(0, first).map((row) => this.view(this.pool, row)));
    const page = toPage(rows, first, (row) => encodeCursor('invoice', row.position), (row) => views[rows.indexOf(row)]);
    return { ...page, totalCount: count[0].n };
  }

  /**
   * Rates the draft for the last time, numbers it and freezes its lines, in one transaction. Only
   * once its month has ended (CONFLICT before, naming when it ends): the month's usage is known then.
   */
  async finalize(id: unknown, scope: Scope, metadata: EventMetadata): Promise<InvoiceView> {
    const invoice = await this.existing(id, scope, 'finalize');
    await withRetriedTransaction(this.pool, async (tx) => {
      const account = (await Accounts.find(tx, invoice.accountId))!;
      const period = { start: invoice.periodStart.getTime() / 1000, end: invoice.periodEnd.getTime() / 1000 };
      const at = Date.now();
      const rated = await this.rating.rate(tx, account, invoice.id, period, Math.floor(at / 1000), true);
      const command: InvoiceCommand = {
        type: 'FinalizeInvoice', number: await this.nextNumber(tx, invoice.issuerId, 'INV'),
        subtotal: rated.subtotal, tax: rated.tax, total: rated.total, lineCount: rated.lines.length, at,
      };
      const events = await decideInTransaction(this.store, tx, invoiceStreamId(invoice.id), invoiceDecider, command, metadata);
      if (events.length === 0) return;
      await this.freezeLines(tx, invoice.id, rated.lines);
      // Their differences are on this invoice now; a later change marks the month again.
      await tx.query(`DELETE FROM late_usage WHERE account_id = $1 AND month = ANY($2::timestamptz[]::date[])`, [account.id, rated.adjustedMonths]);
    });
    return this.get(invoice.id, scope);
  }

  /**
   * The invoice, or, for an id no invoice has yet, the account in scope whose running month's
   * invoice it names (ids come from account and month: upcomingInvoice gave it); else NOT_FOUND.
   */
  private async findOrRunningMonth(id: unknown, scope: Scope, field = 'id'): Promise<{ row: InvoiceRow } | { accountId: string }> {
    try {
      return { row: await this.find(this.pool, id, scope, field) };
    } catch (error) {
      if (!(error instanceof AppError && error.code === 'NOT_FOUND')) throw error;
      const period = monthOf(nowSecond());
      const { rows } = await this.pool.query<{ id: string }>('SELECT id FROM accounts WHERE $1::text[] IS NULL OR id = ANY($1)', [accountsOf(scope)]);
      const account = rows.find((row) => invoiceIdOf(row.id, period) === (id as string).toLowerCase());
      if (!account) throw error;
      return { accountId: account.id };
    }
  }

  /** An invoice to act on: the running month's (not drafted before it ends) is CONFLICT naming when it ends. */
  private async existing(id: unknown, scope: Scope, action: string, field = 'id'): Promise<InvoiceRow> {
    const found = await this.findOrRunningMonth(id, scope, field);
    if ('row' in found) return found.row;
    const period = monthOf(nowSecond());
    throw AppError.conflict(monthNotEnded(action, iso(period.start), iso(period.end)));
  }

  private async draft(account: BillingAccount, period: Period, metadata: EventMetadata): Promise<number> {
    const invoiceId = invoiceIdOf(account.id, period);
    const header = { invoiceId, accountId: account.id, issuerId: account.issuerId, currency: account.currency, periodStart: iso(period.start), periodEnd: iso(period.end) };
    const events = await withRetriedTransaction(this.pool, (tx) => decideInTransaction(this.store, tx, invoiceStreamId(invoiceId), invoiceDecider, { type: 'DraftInvoice', header }, metadata));
    return events.length;
  }

  async markPaid(id: unknown, reference: unknown, scope: Scope, metadata: EventMetadata): Promise<InvoiceView> {
    const invoice = await this.existing(id, scope, 'mark paid');
    await this.settling(invoice, { type: 'MarkInvoicePaid', reference: reference as string }, metadata);
    return this.get(invoice.id, scope);
  }

  async void(id: unknown, reason: unknown, scope: Scope, metadata: EventMetadata): Promise<InvoiceView> {
    const invoice = await this.existing(id, scope, 'void');
    await this.settling(invoice, { type: 'VoidInvoice', reason: reason as string }, metadata);
    return this.get(invoice.id, scope);
  }

  async issueCreditNote(input: { invoiceId?: unknown; amount?: unknown; reason?: unknown } | undefined, scope: Scope, metadata: EventMetadata): Promise<CreditNoteView> {
    const invoice = await this.existing(input?.invoiceId, scope, 'credit', 'input.invoiceId');
    const creditNoteId = randomUUID();
    await withRetriedTransaction(this.pool, async (tx) => {
      const command: InvoiceCommand = {
        type: 'IssueCreditNote', creditNoteId, number: await this.nextNumber(tx, invoice.issuerId, 'CN'),
        amount: input?.amount as string, reason: input?.reason as string,
      };
      await decideInTransaction(this.store, tx, invoiceStreamId(invoice.id), invoiceDecider, command, metadata);
    });
    return (await this.creditNotes(this.pool, [invoice.id])).find((note) => note.id === creditNoteId)!;
  }

  /** A Stripe payment failed: the account goes PAST_DUE, unless the invoice is settled already. */
  async recordPaymentFailure(invoiceId: string, reason: string, metadata: EventMetadata): Promise<void> {
    const invoice = await this.find(this.pool, invoiceId, { accountIds: PLATFORM_SCOPE });
    if (invoice.status !== 'FINALIZED') return;
    await withRetriedTransaction(this.pool, (tx) =>
      decideInTransaction(this.store, tx, accountStreamId(invoice.accountId), accountStandingDecider, { type: 'RecordPaymentFailure', accountId: invoice.accountId, invoiceId: invoice.id, reason }, metadata),
    );
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

  /**
   * Drafts the month's invoice of every account with usage in it, every reseller whose
   * customers had some, and every account whose late usage waits for an invoice. Idempotent:
   * an invoice's id comes from its account and month.
   */
  async closeMonth(period: Period, metadata: EventMetadata): Promise<{ drafted: number; unknownAccounts: string[] }> {
    if (period.end > nowSecond()) throw AppError.conflict(`the month ${iso(period.start).slice(0, 7)} has not ended`);
    const { rows } = await this.pool.query<{ accountId: string; known: boolean }>(
      `WITH used AS (
         SELECT DISTINCT s.account_id FROM usage_segments s
         WHERE s.started_at < to_timestamp($2) AND (s.ended_at IS NULL OR s.ended_at > to_timestamp($1))
       ), invoiced AS (
         SELECT account_id FROM used
         UNION SELECT p.id FROM used JOIN accounts a ON a.id = used.account_id JOIN accounts p ON p.id = a.parent_id AND p.kind = 'RESELLER'
         UNION SELECT account_id FROM late_usage WHERE month < to_timestamp($1)::date
       )
       SELECT i.account_id AS "accountId", a.id IS NOT NULL AS known FROM invoiced i LEFT JOIN accounts a ON a.id = i.account_id
       WHERE NOT EXISTS (SELECT 1 FROM invoices v WHERE v.account_id = i.account_id AND v.period_start = to_timestamp($1))`,
      [period.start, period.end],
    );
    let drafted = 0;
    for (const { accountId } of rows.filter((r) => r.known)) drafted += await this.draft((await Accounts.find(this.pool, accountId))!, period, metadata);
    await this.pool.query('INSERT INTO closed_months (month) VALUES (to_timestamp($1)::date) ON CONFLICT DO NOTHING', [period.start]);
    return { drafted, unknownAccounts: rows.filter((r) => !r.known).map((r) => r.accountId) };
  }

  /** Ended months not yet closed, oldest first: the last one closed is where the job goes on from. */
  async monthsToClose(closeAfterSeconds: number): Promise<Period[]> {
    const latest = monthOf(nowSecond() - closeAfterSeconds).start - 1; // a second of the last month that may close
    const { rows } = await this.pool.query<{ last: string | null }>(`SELECT extract(epoch FROM max(month)::timestamp AT TIME ZONE 'UTC')::bigint AS last FROM closed_months`);
    const months: Period[] = [];
    for (let month = monthOf(rows[0].last === null ? latest : Number(rows[0].last)); month.end <= latest + 1; month = monthOf(month.end)) {
      if (rows[0].last === null || month.start > Number(rows[0].last)) months.push(month);
    }
    return months;
  }

  async csv(id: unknown, scope: Scope): Promise<string> {
    return invoiceCsv([await this.get(id, scope)]);
  }

  /** Every invoice of a month the caller may see, drafts included, as one CSV. */
  async csvOfMonth(month: unknown, scope: Scope): Promise<string> {
    const period = parseMonth(month, 'month');
    const { rows } = await this.pool.query<InvoiceRow>(
      `SELECT ${INVOICE_COLUMNS} FROM invoices WHERE period_start = to_timestamp($1) AND ($2::text[] IS NULL OR account_id = ANY($2)) ORDER BY number NULLS LAST, id`,
      [period.start, accountsOf(scope)],
    );
    const views: InvoiceView[] = [];
    for (const row of rows) views.push(await this.view(this.pool, row));
    return invoiceCsv(views);
  }

  private async settling(invoice: InvoiceRow, command: InvoiceCommand, metadata: EventMetadata): Promise<void> {
    await withRetriedTransaction(this.pool, async (tx) => {
      const events = await decideInTransaction(this.store, tx, invoiceStreamId(invoice.id), invoiceDecider, command, metadata);
      if (events.length === 0) return;
      // A paid or voided invoice no longer holds its account PAST_DUE or SUSPENDED.
      await decideInTransaction(this.store, tx, accountStreamId(invoice.accountId), accountStandingDecider, { type: 'SettleInvoice', accountId: invoice.accountId, invoiceId: invoice.id }, metadata);
    });
  }

  private async nextNumber(tx: Sql, issuerId: string, series: 'INV' | 'CN'): Promise<string> {
    const year = new Date().getUTCFullYear();
    const { rows } = await tx.query<{ last: number }>(
      `INSERT INTO document_numbers (issuer_id, series, year, last) VALUES ($1, $2, $3, 1)
       ON CONFLICT (issuer_id, series, year) DO UPDATE SET last = document_numbers.last + 1 RETURNING last`,
      [issuerId, series, year],
    );
    const issuer = issuerId === PLATFORM ? null : await Accounts.find(tx, issuerId);
    return `${numberPrefix(issuer)}-${series === 'CN' ? 'CN-' : ''}${year}-${String(rows[0].last).padStart(6, '0')}`;
  }

  private async freezeLines(tx: Sql, invoiceId: string, lines: InvoiceLineView[]): Promise<void> {
    if (lines.length === 0) return;
    await tx.query(
      `INSERT INTO invoice_lines (id, invoice_id, line_no, description, resource_id, resource_type, account_id, sku, quantity, unit, unit_price, amount, period_start, period_end, usage)
       SELECT l.id, $1, l.n, l.description, l.resource_id, l.resource_type, l.account_id, l.sku, l.quantity, l.unit, l.unit_price, l.amount, l.period_start, l.period_end, l.usage
       FROM unnest($2::uuid[], $3::int[], $4::text[], $5::text[], $6::text[], $7::text[], $8::text[], $9::numeric[], $10::text[], $11::numeric[], $12::numeric[], $13::timestamptz[], $14::timestamptz[], $15::jsonb[])
         AS l (id, n, description, resource_id, resource_type, account_id, sku, quantity, unit, unit_price, amount, period_start, period_end, usage)`,
      [
        invoiceId, lines.map((l) => l.id), lines.map((_, i) => i + 1), lines.map((l) => l.description), lines.map((l) => l.resourceId),
        lines.map((l) => l.resourceType), lines.map((l) => l.accountId), lines.map((l) => l.sku), lines.map((l) => l.quantity), lines.map((l) => l.unit),
        lines.map((l) => l.unitPrice), lines.map((l) => l.amount), lines.map((l) => l.periodStart), lines.map((l) => l.periodEnd),
        lines.map((l) => JSON.stringify(l.usage)),
      ],
    );
  }

  private async find(sql: Sql, id: unknown, scope: Scope, field = 'id'): Promise<InvoiceRow> {
    if (typeof id !== 'string' || !/^[0-9a-f-]{36}$/i.test(id)) throw AppError.badInput(field, 'must be an invoice id');
    const { rows } = await sql.query<InvoiceRow>(`SELECT ${INVOICE_COLUMNS} FROM invoices WHERE id = $1`, [id.toLowerCase()]);
    if (!rows[0] || !inScope(rows[0].accountId, scope)) throw AppError.notFound(`invoice ${id}`);
    return rows[0];
  }

  private async view(sql: Sql, row: InvoiceRow): Promise<InvoiceView> {
    let totals: Pick<InvoiceView, 'lines' | 'subtotal' | 'tax' | 'total'>;
    if (row.status === 'DRAFT' || (row.status === 'VOID' && row.number === null)) {
      const account = (await Accounts.find(sql, row.accountId))!;
      const { lines, subtotal, tax, total } = await this.rating.rate(sql, account, row.id, { start: row.periodStart.getTime() / 1000, end: row.periodEnd.getTime() / 1000 }, nowSecond(), true);
      totals = { lines, subtotal, tax, total };
    } else {
      totals = { lines: await this.frozenLines(sql, row.id), subtotal: row.subtotal!, tax: row.tax!, total: row.total! };
    }
    return {
      id: row.id, number: row.number, accountId: row.accountId, issuerId: row.issuerId, status: row.status, currency: row.currency,
      periodStart: row.periodStart.toISOString(), periodEnd: row.periodEnd.toISOString(), ...totals,
      issuedAt: row.issuedAt?.toISOString() ?? null, paidAt: row.paidAt?.toISOString() ?? null, paymentReference: row.paymentReference,
      creditNotes: await this.creditNotes(sql, [row.id]),
    };
  }

  private async frozenLines(sql: Sql, invoiceId: string): Promise<InvoiceLineView[]> {
    const { rows } = await sql.query<InvoiceLineView & { periodStart: Date; periodEnd: Date }>(
      `SELECT id, description, resource_id AS "resourceId", resource_type AS "resourceType", account_id AS "accountId", sku, quantity::text, unit,
              unit_price::text AS "unitPrice", amount::text, period_start AS "periodStart", period_end AS "periodEnd", usage
       FROM invoice_lines WHERE invoice_id = $1 ORDER BY line_no`,
      [invoiceId],
    );
    return rows.map((row) => ({ ...row, periodStart: row.periodStart.toISOString(), periodEnd: row.periodEnd.toISOString() }));
  }

  private async creditNotes(sql: Sql, invoiceIds: string[]): Promise<CreditNoteView[]> {
    const { rows } = await sql.query<CreditNoteView & { issuedAt: Date }>(
      `SELECT c.id, c.number, c.invoice_id AS "invoiceId", c.amount::text, i.currency, c.reason, c.issued_at AS "issuedAt"
       FROM credit_notes c JOIN invoices i ON i.id = c.invoice_id WHERE c.invoice_id = ANY($1) ORDER BY c.issued_at, c.number`,
      [invoiceIds],
    );
    return rows.map((row) => ({ ...row, issuedAt: row.issuedAt.toISOString() }));
  }
}
