import type pg from 'pg';
import type { CreditNoteView, InvoiceLineView, InvoiceStatus } from '#libs/contracts';
import { lockKeyInTransaction, withTransaction, type Sql } from '#libs/event-store';
import { MONTH_CLOSE_LOCK, usageLock } from '../metering/metering.js';
import type { Period } from '../rating/rating.js';
import type { CsvLine } from './invoice-csv.js';
import { packUsage, unpackUsage, type PackedUsage } from './line-usage.js';

/** An invoice as the `invoices` projection keeps it: totals and number once finalized. */
export interface InvoiceRow {
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

export interface InvoicePageQuery {
  /** The accounts in scope; null for every one. */
  accounts: string[] | null;
  accountId: string | null;
  status: InvoiceStatus | null;
  /** The position the page starts after. */
  after: number;
  limit: number;
}

/** The last number an issuer's series took this year, and the issuer's name (null for the platform). */
export interface TakenNumber {
  last: number;
  issuerName: string | null;
}

/** A series' next `count` numbers, from a row of `from` where given (so that they are taken once that is read). */
const nextNumbers = (issuer: string, series: string, year: string, count: string, from?: string) => `INSERT INTO document_numbers (issuer_id, series, year, last)
  SELECT ${issuer}, ${series}, ${year}, ${count}${from ? ` FROM ${from}` : ''}
  ON CONFLICT (issuer_id, series, year) DO UPDATE SET last = document_numbers.last + ${count}
  RETURNING last, (SELECT name FROM accounts WHERE id = ${issuer}) AS "issuerName"`;

/** How many times the usage of these owners (a statement's ids) has changed, as text: what an invoice billing their usage compares at its finalize. */
export const usageChangesOf = (owners: string) => `(SELECT coalesce(sum(c.changes), 0) FROM usage_changes c WHERE c.account_id IN (${owners}))::text`;

const INVOICE_COLUMNS = `id, position, account_id AS "accountId", issuer_id AS "issuerId", currency, period_start AS "periodStart", period_end AS "periodEnd",
  status, number, subtotal::text, tax::text, total::text, issued_at AS "issuedAt", paid_at AS "paidAt", payment_reference AS "paymentReference"`;

/** A frozen line as a CSV row shows it (CsvLine); its view adds its period and usage. */
const LINE_COLUMNS = `id, description, resource_id AS "resourceId", resource_type AS "resourceType", account_id AS "accountId", sku,
  quantity::text, unit, unit_price::text AS "unitPrice", amount::text`;

/** The invoices' tables: the projection's rows, finalized lines, credit notes, document numbers and closed months. */
export class InvoicesRepository {
  constructor(private readonly pool: pg.Pool) {}

  /** `id` in lower case; `forShare`, in a transaction: its row locked against a change until the commit. */
  async find(id: string, sql: Sql = this.pool, { forShare = false } = {}): Promise<InvoiceRow | null> {
    const { rows } = await sql.query<InvoiceRow>({
      name: forShare ? 'billing_invoice_for_share' : 'billing_invoice',
      text: `SELECT ${INVOICE_COLUMNS} FROM invoices WHERE id = $1${forShare ? ' FOR SHARE' : ''}`,
      values: [id],
    });
    return rows[0] ?? null;
  }

  async hasDraft(accountId: string): Promise<boolean> {
    const { rows } = await this.pool.query(`SELECT 1 FROM invoices WHERE account_id = $1 AND status = 'DRAFT'`, [accountId]);
    return rows.length > 0;
  }

  /** Up to `limit` invoices past the position, in the order they were drafted, and how many the filter holds. */
  async page(query: InvoicePageQuery): Promise<{ rows: InvoiceRow[]; totalCount: number }> {
    const where = `($1::text[] IS NULL OR account_id = ANY($1)) AND ($2::text IS NULL OR account_id = $2) AND ($3::text IS NULL OR status = $3)`;
    const args = [query.accounts, query.accountId, query.status];
    const [{ rows }, { rows: count }] = await Promise.all([
      this.pool.query<InvoiceRow>(`SELECT ${INVOICE_COLUMNS} FROM invoices WHERE ${where} AND position > $4 ORDER BY position LIMIT $5`, [...args, query.after, query.limit]),
      this.pool.query<{ n: number }>(`SELECT count(*)::integer AS n FROM invoices WHERE ${where}`, args),
    ]);
    return { rows, totalCount: count[0].n };
  }

  /** Whose each resource is, of those the meter knows. */
  async resourceOwners(resourceIds: string[]): Promise<{ id: string; accountId: string }[]> {
    const { rows } = await this.pool.query<{ id: string; accountId: string }>('SELECT id, account_id AS "accountId" FROM resources WHERE id = ANY($1)', [resourceIds]);
    return rows;
  }

  /** The ids of a month's invoices of the accounts (null: every one), numbered ones first, in their numbers' order. */
  async idsOfMonth(period: Period, accounts: string[] | null): Promise<string[]> {
    const { rows } = await this.pool.query<{ id: string }>(
      'SELECT id FROM invoices WHERE period_start = to_timestamp($1) AND ($2::text[] IS NULL OR account_id = ANY($2)) ORDER BY number NULLS LAST, id',
      [period.start, accounts],
    );
    return rows.map((row) => row.id);
  }

  /** These invoices (ids in lower case) of the accounts (null: every one), in the order of `ids`; any other is left out. */
  async listed(ids: string[], accounts: string[] | null): Promise<InvoiceRow[]> {
    const { rows } = await this.pool.query<InvoiceRow>({
      name: 'billing_invoices_listed',
      text: `SELECT ${INVOICE_COLUMNS} FROM unnest($1::uuid[]) WITH ORDINALITY AS listed (id, n) JOIN invoices USING (id)
       WHERE $2::text[] IS NULL OR account_id = ANY($2) ORDER BY listed.n`,
      values: [ids, accounts],
    });
    return rows;
  }

  /** The frozen lines of these invoices as the CSV shows them (without their usage), by invoice. */
  async csvLines(invoiceIds: string[]): Promise<Map<string, CsvLine[]>> {
    const { rows } = await this.pool.query<CsvLine & { invoiceId: string }>({
      name: 'billing_invoice_csv_lines',
      text: `SELECT invoice_id AS "invoiceId", ${LINE_COLUMNS} FROM invoice_lines WHERE invoice_id = ANY($1) ORDER BY invoice_id, line_no`,
      values: [invoiceIds],
    });
    return Map.groupBy(rows, (row) => row.invoiceId);
  }

  async frozenLines(invoiceId: string, sql: Sql = this.pool): Promise<InvoiceLineView[]> {
    const { rows } = await sql.query<Omit<InvoiceLineView, 'usage'> & { periodStart: Date; periodEnd: Date; usage: PackedUsage[] }>(
      `SELECT ${LINE_COLUMNS}, period_start AS "periodStart", period_end AS "periodEnd", usage
       FROM invoice_lines WHERE invoice_id = $1 ORDER BY line_no`,
      [invoiceId],
    );
    return rows.map((row) => ({ ...row, periodStart: row.periodStart.toISOString(), periodEnd: row.periodEnd.toISOString(), usage: unpackUsage(row, row.usage) }));
  }

  async creditNotes(invoiceIds: string[], sql: Sql = this.pool): Promise<CreditNoteView[]> {
    const { rows } = await sql.query<CreditNoteView & { issuedAt: Date }>({
      name: 'billing_credit_notes',
      text: `SELECT c.id, c.number, c.invoice_id AS "invoiceId", c.amount::text, i.currency, c.reason, c.issued_at AS "issuedAt"
       FROM credit_notes c JOIN invoices i ON i.id = c.invoice_id WHERE c.invoice_id = ANY($1) ORDER BY c.issued_at, c.number`,
      values: [invoiceIds],
    });
    return rows.map((row) => ({ ...row, issuedAt: row.issuedAt.toISOString() }));
  }

  /**
   * Writes finalized invoices' lines, once (a trigger refuses any change to them), and takes as many
   * of the issuer's invoice numbers after them, in one statement: the counter is locked from the end
   * of the lines' insert (the numbers' row is made from it) to the commit, and a finalize makes one
   * round trip fewer while others wait on that lock. `last` is the last number taken: the invoices
   * have the numbers up to it in their order. The lines' usage, packed (line-usage.ts), comes as a
   * document of its own, zipped with the lines by position: each line's part is stored as it came,
   * as json (jsonb would parse it again).
   */
  async freezeLinesAndTakeNumbers(tx: Sql, invoices: readonly { invoiceId: string; lines: readonly InvoiceLineView[] }[], issuerId: string, year: number): Promise<TakenNumber> {
    const lines = invoices.flatMap(({ invoiceId, lines }) => lines.map((line, i) => ({ line, invoiceId, lineNo: i + 1 })));
    const { rows } = await tx.query<TakenNumber>({
      name: 'billing_freeze_lines',
      text: `WITH frozen AS (
         INSERT INTO invoice_lines (id, invoice_id, line_no, description, resource_id, resource_type, account_id, sku, quantity, unit, unit_price, amount, period_start, period_end, usage)
         SELECT l.id, l."invoiceId", l."lineNo", l.description, l."resourceId", l."resourceType", l."accountId", l.sku, l.quantity, l.unit, l."unitPrice", l.amount, l."periodStart", l."periodEnd", l.usage
         FROM ROWS FROM (
           json_to_recordset($1::json) AS ("invoiceId" uuid, "lineNo" integer, id uuid, description text, "resourceId" text, "resourceType" text, "accountId" text, sku text,
             quantity numeric, unit text, "unitPrice" numeric, amount numeric, "periodStart" timestamptz, "periodEnd" timestamptz),
           json_array_elements($2::json)
         ) AS l ("invoiceId", "lineNo", id, description, "resourceId", "resourceType", "accountId", sku, quantity, unit, "unitPrice", amount, "periodStart", "periodEnd", usage)
         RETURNING 1
       )
       ${nextNumbers('$3', `'INV'`, '$4', '$5::integer', '(SELECT count(*) FROM frozen) lines')}`,
      values: [
        JSON.stringify(lines.map(({ line: { usage, ...line }, invoiceId, lineNo }) => ({ invoiceId, lineNo, ...line }))),
        JSON.stringify(lines.map(({ line }) => packUsage(line))), issuerId, year, invoices.length,
      ],
    });
    return rows[0];
  }

  /**
   * The issuer's next number in a series and year: the counter moves in the caller's transaction, so
   * numbers have no gaps. With the issuer's name (null for the platform), which its numbers start with.
   */
  async takeNumber(tx: Sql, issuerId: string, series: 'INV' | 'CN', year: number): Promise<TakenNumber> {
    const { rows } = await tx.query<TakenNumber>({ name: 'billing_take_number', text: nextNumbers('$1', '$2', '$3', '1'), values: [issuerId, series, year] });
    return rows[0];
  }

  /** For each account, how many times the usage its invoices bill (its own, and a reseller's customers') has changed, as text. */
  async usageChanges(sql: Sql, accountIds: string[]): Promise<Map<string, string>> {
    const { rows } = await sql.query<{ accountId: string; changes: string }>({
      name: 'billing_usage_changes',
      text: `SELECT a.id AS "accountId", ${usageChangesOf('SELECT a.id UNION ALL SELECT id FROM accounts WHERE parent_id = a.id')} AS changes FROM unnest($1::text[]) AS a(id)`,
      values: [accountIds],
    });
    return new Map(rows.map((row) => [row.accountId, row.changes]));
  }

  /** Holds the usage locks of these accounts alone until `tx` ends (Metering.usageChanged takes them shared). */
  async lockUsage(tx: Sql, accountIds: string[]): Promise<void> {
    await lockKeyInTransaction(tx, accountIds.map(usageLock));
  }

  /** The late usage of these months (ISO starts) is on an invoice now; a later change marks a month again. */
  async settleLateUsage(tx: Sql, accountId: string, months: string[]): Promise<void> {
    await tx.query(`DELETE FROM late_usage WHERE account_id = $1 AND month = ANY($2::timestamptz[]::date[])`, [accountId, months]);
  }

  /**
   * The accounts whose invoice for the month is still to draft: every account with usage in it,
   * every reseller whose customers had some, and every account whose late usage waits for an
   * invoice. `known`: billing has heard of the account (its AccountCreated).
   */
  async toDraft(period: Period): Promise<{ accountId: string; known: boolean }[]> {
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
    return rows;
  }

  /** Those of the invoices that exist (drafted at least). */
  async existing(sql: Sql, ids: readonly string[]): Promise<Set<string>> {
    const { rows } = await sql.query<{ id: string }>('SELECT id FROM invoices WHERE id = ANY($1::uuid[])', [ids]);
    return new Set(rows.map((row) => row.id));
  }

  /**
   * The month closed to usage: a change of its usage from now on is marked late (Metering), where
   * it has no invoice of the month. Taken under the month-close lock alone, which every usage change
   * holds shared while it marks: the changes under way commit first, and whatever the drafts are
   * chosen from next sees them.
   */
  async markClosed(period: Period): Promise<void> {
    await withTransaction(this.pool, async (tx) => {
      await lockKeyInTransaction(tx, MONTH_CLOSE_LOCK);
      await tx.query('INSERT INTO closed_months (month, drafted) VALUES (to_timestamp($1)::date, false) ON CONFLICT DO NOTHING', [period.start]);
    });
  }

  /** Every draft of the closed month made: the close job goes on from the next one. */
  async markDrafted(period: Period): Promise<void> {
    await this.pool.query('UPDATE closed_months SET drafted = true WHERE month = to_timestamp($1)::date', [period.start]);
  }

  /** The start of the latest month drafted, or null before the first close. */
  async lastClosed(): Promise<number | null> {
    const { rows } = await this.pool.query<{ last: string | null }>(
      `SELECT extract(epoch FROM max(month)::timestamp AT TIME ZONE 'UTC')::bigint AS last FROM closed_months WHERE drafted`,
    );
    return rows[0].last === null ? null : Number(rows[0].last);
  }

  /**
   * In a batch's drafting transaction: the late marks of the month its accounts' new drafts settle.
   * A draft is rated from the usage as it stands until it is finalized, so a change marked late
   * while the month closed, before its draft was made, is on the draft already.
   */
  async clearLateUsage(tx: Sql, accountIds: readonly string[], period: Period): Promise<void> {
    await tx.query('DELETE FROM late_usage WHERE account_id = ANY($1) AND month = to_timestamp($2)::date', [accountIds, period.start]);
  }
}
