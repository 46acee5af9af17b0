import { hash } from 'node:crypto';
import type { InvoiceLineView } from '#libs/contracts';
import type { Sql } from '#libs/event-store';
import type { BillingAccount } from '../accounts/accounts.js';
import type { ResourceInfo, UsageSegment } from '../metering/meter.js';
import { formatMinor, formatScaled, fractionOf, parseDecimal, productMinor, scaledOfMinor, signedMinor } from '../money/money.js';
import type { PriceHistories, Prices } from '../prices/prices.js';
import { monthOf, rateResource, taxOf, type Period, type RatedLine, type RatedResource } from '../rating/rating.js';
import { iso } from './calendar.js';
import { usageChangesOf } from './invoices.repository.js';

export interface RatedInvoice {
  lines: InvoiceLineView[];
  subtotal: string;
  tax: string;
  total: string;
  /** The months whose late usage these lines settle. */
  adjustedMonths: string[];
  /** How many times the usage rated had changed when it was read (InvoicesRepository.usageChanges), as text. */
  usageChanges: string;
}

const MONTH_NAME = new Intl.DateTimeFormat('en', { month: 'long', year: 'numeric', timeZone: 'UTC' });

/** A month's name and bounds as its lines show them, formatted once per month rather than once per line. */
const monthTexts = new Map<number, { name: string; start: string; end: string }>();
function textsOf(period: Period): { name: string; start: string; end: string } {
  let texts = monthTexts.get(period.start);
  if (!texts) {
    if (monthTexts.size >= 120) monthTexts.clear();
    texts = { name: MONTH_NAME.format(new Date(period.start * 1000)), start: iso(period.start), end: iso(period.end) };
    monthTexts.set(period.start, texts);
  }
  return texts;
}

/** A stable uuid for a line, from what it is: the same line rated twice has the same id. */
export function lineId(...parts: string[]): string {
  const hex = hash('sha256', parts.join('\u0000'), 'hex');
  return `${hex.slice(0, 8)}-${hex.slice(8, 12)}-5${hex.slice(13, 16)}-a${hex.slice(17, 20)}-${hex.slice(20, 32)}`;
}

/** The invoice of an account for a month has one id, before and after it is drafted. */
export const invoiceIdOf = (accountId: string, period: Period) => lineId('invoice', accountId, iso(period.start));

/** A resource's rated month and the name of the account whose resource it is (a reseller's customer, on the reseller's invoice). */
type OwnedResource = RatedResource & { ownerName: string };

/**
 * A resource with usage in the period as rating reads it, and its segments there in order: times in
 * seconds since the epoch (a bigint in JSON is a number), openedBy null where it is the segment's id.
 */
type PackedResource = [
  id: string, type: ResourceInfo['type'], accountId: string, accountName: string, name: string, billingCycle: ResourceInfo['billingCycle'],
  closedSeconds: string, openSince: number | null, endedAt: number | null, sizeMb: number | null,
  segments: [id: string, sku: string, state: UsageSegment['state'], startedAt: number, endedAt: number | null, openedBy: string | null, closedBy: string | null][],
];

/**
 * A resource's packed segments (`[id, sku, state, startedAt, …]`) put in the order they began, as
 * PostgreSQL orders (started_at, id): the meter writes whole seconds, and a uuid's lower-case text
 * sorts as its bytes do.
 */
export function inSegmentOrder<T extends { 0: string; 3: number }>(segments: T[]): T[] {
  return segments.sort((a, b) => a[3] - b[3] || (a[0] < b[0] ? -1 : a[0] > b[0] ? 1 : 0));
}

/** What finalized invoices billed for a resource's month, per line key: the net of its lines, reversals and re-billings included. */
interface BilledLine {
  resourceId: string;
  resourceType: string;
  accountId: string;
  sku: string;
  unit: string;
  unitPrice: string | null;
  quantity: string;
  amount: string;
}

/** Lines of one resource in one month are the same line when they have the same key: a cap line has one key whatever its amount. */
const keyOf = (line: { sku: string; unit: string; unitPrice: string | null }) => (line.unit === 'cap' ? 'cap' : `${line.sku}\u0000${line.unit}\u0000${line.unitPrice}`);

/**
 * Rates an account's invoice for a month from the usage segments as they are now: lines per
 * resource and sku at each unit price, and cap lines (on a reseller's platform invoice, its
 * customers' resources too), then adjustments for earlier months whose finalized invoices are now wrong.
 */
export class InvoiceRating {
  /**
   * Two rating statements, an account's own and a reseller's with its customers'. As one, with the
   * customers' part switched off by a parameter, PostgreSQL counted that part's accounts in the plan
   * it keeps for any account: for an account smaller than most (10 instances on a platform of
   * 10,000), keeping it looked dearer than planning each call afresh, which doubled each rating's time.
   */
  private readonly statements: Record<'own' | 'withCustomers', { name: string; text: string }>;

  constructor(private readonly prices: Prices) {
    this.statements = { own: this.statement('billing_rating', false), withCustomers: this.statement('billing_rating_reseller', true) };
  }

  async rate(sql: Sql, account: BillingAccount, invoiceId: string, period: Period, asOf: number, withAdjustments: boolean): Promise<RatedInvoice> {
    const { rated, lateMonths, usageChanges } = await this.rateMonth(sql, account, period, asOf, withAdjustments);
    const lines = rated.flatMap((resource) => resource.lines.map((line) => this.lineView(invoiceId, account, period, resource, line)));
    const adjustedMonths: string[] = [];
    for (const month of lateMonths) {
      lines.push(...(await this.adjustments(sql, account, invoiceId, month, asOf)));
      adjustedMonths.push(iso(month.start));
    }
    const subtotal = lines.reduce((sum, line) => sum + signedMinor(line.amount, account.currency), 0n);
    const tax = taxOf(subtotal, parseDecimal(account.taxRate, 'taxRate'));
    return {
      lines,
      subtotal: formatMinor(subtotal, account.currency),
      tax: formatMinor(tax, account.currency),
      total: formatMinor(subtotal + tax, account.currency),
      adjustedMonths,
      usageChanges,
    };
  }

  /** The rating statement: of the account's ($1) resources, and withCustomers of its customers' too. */
  private statement(name: string, withCustomers: boolean): { name: string; text: string } {
    const owners = withCustomers ? 'SELECT $1::text AS id UNION ALL SELECT id FROM accounts WHERE parent_id = $1' : 'SELECT $1::text AS id';
    return {
      name,
      text: `WITH owners AS (${owners}),
       used AS (
         SELECT resource_id, json_agg(json_build_array(id, sku, state, extract(epoch FROM started_at)::bigint, extract(epoch FROM ended_at)::bigint,
                  nullif(opened_by, id), closed_by)) AS segments
         FROM usage_segments
         -- The owners as an array, and the month's segments by their end (migration 0315): the index finds those open or
         -- ended since the month began, never an account's years before it, nor (for a reseller's customers) the whole table.
         WHERE account_id = ANY(ARRAY(SELECT id FROM owners)) AND (ended_at IS NULL OR ended_at > to_timestamp($4)) AND started_at < to_timestamp($5)
         GROUP BY resource_id
       )
       SELECT ${this.prices.bookColumns('$2', '$3')}, ${usageChangesOf('SELECT id FROM owners')} AS "usageChanges",
         (SELECT coalesce(json_agg(json_build_array(r.id, r.type, r.account_id, coalesce(a.name, r.account_id), r.name, r.billing_cycle, r.closed_seconds::text,
                   extract(epoch FROM r.open_since)::bigint, extract(epoch FROM r.ended_at)::bigint, r.size_mb, u.segments) ORDER BY r.account_id, r.id), '[]')
          FROM resources r JOIN used u ON u.resource_id = r.id LEFT JOIN accounts a ON a.id = r.account_id WHERE r.account_id IN (SELECT id FROM owners)) AS resources,
         (SELECT coalesce(json_agg(extract(epoch FROM l.month::timestamp AT TIME ZONE 'UTC')::bigint ORDER BY l.month), '[]') FROM late_usage l
          WHERE $6 AND l.account_id = $1 AND l.month::timestamp AT TIME ZONE 'UTC' < to_timestamp($4)
            -- Not a month whose own invoice is still to be finalized (it bills the usage itself), nor one voided as a draft.
            AND NOT EXISTS (SELECT 1 FROM invoices i WHERE i.account_id = l.account_id AND i.period_start = l.month::timestamp AT TIME ZONE 'UTC' AND i.number IS NULL)) AS "lateMonths"`,
    };
  }

  /**
   * The account's usage in the period rated, with what it was rated with, and (withLateMonths) the
   * earlier months with late usage whose invoice is final, whose differences go on this invoice.
   * One statement (named, so that PostgreSQL may keep its plan: every parameter a scalar) for all that an
   * invoice is rated from: the issuer's price book; the resources with usage in the period, the
   * account's and, a reseller's, its customers' too, each with its segments there in order; and the
   * count of that usage's changes, read with it (a finalize compares it at the commit). The
   * segments are found by their account (one index range, where a lookup per resource cost one
   * descent each; a segment's account is its resource's), their resources by account too (joined by
   * id alone, a reseller's 500 were planned as a scan of them all), and come as arrays, not objects
   * naming every field: they are most of the bytes read. Each resource's segments are put in order
   * here (inSegmentOrder), not by the statement: a sort per resource there was a fifth of its time.
   */
  private async rateMonth(
    sql: Sql, account: BillingAccount, period: Period, asOf: number, withLateMonths: boolean,
  ): Promise<{ rated: OwnedResource[]; lateMonths: Period[]; usageChanges: string }> {
    const { rows: [found] } = await sql.query<PriceHistories & { resources: PackedResource[]; lateMonths: string[]; usageChanges: string }>({
      ...(account.kind === 'RESELLER' ? this.statements.withCustomers : this.statements.own),
      values: [account.id, account.issuerId, account.currency, period.start, Math.min(period.end, asOf), withLateMonths],
    });
    const book = this.prices.bookOf(account.issuerId, account.currency, found);
    const rated = found.resources.map(([id, type, accountId, accountName, name, billingCycle, closedSeconds, openSince, endedAt, sizeMb, segments]) => {
      const life = {
        seconds: Number(closedSeconds) + (openSince === null ? 0 : Math.max(0, asOf - openSince)),
        endsAt: openSince === null ? Math.min(endedAt ?? asOf, asOf) : asOf,
      };
      const usage = inSegmentOrder(segments).map(([segmentId, sku, state, startedAt, segmentEnd, openedBy, closedBy]): UsageSegment => ({
        id: segmentId, resourceId: id, sku, state, startedAt, endedAt: segmentEnd, openedBy: openedBy ?? segmentId, closedBy,
      }));
      const info: ResourceInfo = { resourceId: id, type, accountId, name, billingCycle, sizeMb };
      return { ...rateResource({ info, segments: usage, life }, period, asOf, book, account.currency), ownerName: accountName };
    });
    return { rated, lateMonths: found.lateMonths.map((start) => monthOf(Number(start))), usageChanges: found.usageChanges };
  }

  /** What a line is about: whose resource, which, in which plan and cycle. */
  private subject(account: BillingAccount, info: ResourceInfo, ownerName: string, sku: string): string {
    const whose = info.accountId === account.id ? '' : `${ownerName}: `;
    if (info.type === 'IPV4') return `${whose}Floating IPv4 ${info.name}`;
    if (info.type === 'SNAPSHOT') return `${whose}Snapshot ${info.name}, ${info.sizeMb} MB (${sku})`;
    if (info.type === 'BACKUP') return `${whose}Backup of ${info.name}, ${info.sizeMb} MB (${sku})`;
    return `${whose}${info.name} (${sku}, ${info.billingCycle.toLowerCase()})`;
  }

  private lineView(invoiceId: string, account: BillingAccount, period: Period, resource: OwnedResource, line: RatedLine, adjustment = false): InvoiceLineView {
    const { name: month, start, end } = textsOf(period);
    const unitPrice = formatScaled(line.unitPrice);
    let what: string;
    if (line.kind === 'cap') {
      const whose = resource.info.accountId === account.id ? '' : `${resource.ownerName}: `;
      what = `${whose}${resource.info.type === 'IPV4' ? `Floating IPv4 ${resource.info.name}` : resource.info.name}, monthly cap of ${formatScaled(line.capMonthly!)} (${line.sku})`;
    } else {
      const stopped = line.stoppedPrice ? ' stopped' : '';
      const padded = line.paddedSeconds > 0 ? `, ${line.paddedSeconds} s added (the minimum or the started hour)` : '';
      what = `${this.subject(account, resource.info, resource.ownerName, line.sku)} at ${unitPrice}${stopped} a${line.unit === 'hour' ? 'n' : ''} ${line.unit}${padded}`;
    }
    return {
      id: lineId(invoiceId, resource.info.resourceId, start, adjustment ? 'adjustment' : 'usage', keyOf({ sku: line.sku, unit: line.unit, unitPrice })),
      description: adjustment ? `Adjustment for ${month}, as rated now: ${what}` : `${what}, ${month}`,
      resourceId: resource.info.resourceId,
      resourceType: resource.info.type,
      accountId: resource.info.accountId,
      sku: line.sku,
      quantity: line.quantity,
      unit: line.unit,
      unitPrice,
      amount: formatMinor(line.amountMinor, account.currency),
      periodStart: start,
      periodEnd: end,
      usage: line.usage.map(({ segment, seconds }) => ({
        segmentId: segment.id, resourceId: segment.resourceId, sku: segment.sku, state: segment.state,
        startedAt: iso(segment.startedAt), endedAt: segment.endedAt === null ? null : iso(segment.endedAt), seconds,
        openedBy: segment.openedBy, closedBy: segment.closedBy,
      })),
    };
  }

  /**
   * A resource whose month now rates to another amount than finalized invoices billed for it: each
   * of its lines that changed is reversed as invoiced and billed again as rated now, so every
   * adjustment line adds up as any line does.
   */
  private async adjustments(sql: Sql, account: BillingAccount, invoiceId: string, month: Period, asOf: number): Promise<InvoiceLineView[]> {
    const { rated: now } = await this.rateMonth(sql, account, month, asOf, false);
    const { rows: billed } = await sql.query<BilledLine>(
      `SELECT l.resource_id AS "resourceId", min(l.resource_type) AS "resourceType", min(l.account_id) AS "accountId", min(l.sku) AS sku, l.unit,
              CASE WHEN l.unit = 'cap' THEN NULL ELSE l.unit_price::text END AS "unitPrice", sum(l.quantity)::text AS quantity, sum(l.amount)::text AS amount
       FROM invoice_lines l JOIN invoices i ON i.id = l.invoice_id AND i.account_id = $1 AND i.status <> 'DRAFT'
       WHERE l.period_start = to_timestamp($2) AND l.resource_id IS NOT NULL
       GROUP BY l.resource_id, l.unit, CASE WHEN l.unit = 'cap' THEN NULL ELSE l.sku END, 6
       ORDER BY min(l.line_no)`,
      [account.id, month.start],
    );
    const billedOf = new Map<string, BilledLine[]>();
    for (const line of billed) billedOf.set(line.resourceId, [...(billedOf.get(line.resourceId) ?? []), line]);
    const ratedOf = new Map(now.map((resource) => [resource.info.resourceId, resource]));
    const gone = [...billedOf.keys()].filter((id) => !ratedOf.has(id));
    if (gone.length > 0) {
      const { rows } = await sql.query<ResourceInfo & { ownerName: string }>(
        `SELECT r.id AS "resourceId", r.type, r.account_id AS "accountId", r.name, r.billing_cycle AS "billingCycle", r.size_mb AS "sizeMb",
                coalesce(a.name, r.account_id) AS "ownerName"
         FROM resources r LEFT JOIN accounts a ON a.id = r.account_id WHERE r.id = ANY($1)`,
        [gone],
      );
      for (const { ownerName, ...info } of rows) ratedOf.set(info.resourceId, { info, lines: [], amountMinor: 0n, ownerName });
    }

    const lines: InvoiceLineView[] = [];
    for (const [resourceId, resource] of ratedOf) {
      const was = billedOf.get(resourceId) ?? [];
      if (was.reduce((sum, line) => sum + signedMinor(line.amount, account.currency), 0n) === resource.amountMinor) continue;
      const rated = new Map(resource.lines.map((line) => [keyOf({ sku: line.sku, unit: line.unit, unitPrice: formatScaled(line.unitPrice) }), line]));
      const unchanged = new Set<string>();
      for (const line of was) {
        const key = keyOf(line);
        const same = rated.get(key);
        if (same && same.amountMinor === signedMinor(line.amount, account.currency) && (line.unit === 'cap' || sameDecimal(same.quantity, line.quantity))) {
          unchanged.add(key);
          continue;
        }
        if (signedMinor(line.amount, account.currency) === 0n && sameDecimal(line.quantity, '0')) continue;
        lines.push(this.reversal(invoiceId, account, month, resource, line));
      }
      for (const [key, line] of rated) {
        if (!unchanged.has(key)) lines.push(this.lineView(invoiceId, account, month, resource, line, true));
      }
    }
    return lines;
  }

  /** A line that takes back what finalized invoices billed under one key: the same quantity and unit price, negated. */
  private reversal(invoiceId: string, account: BillingAccount, month: Period, resource: OwnedResource, billed: BilledLine): InvoiceLineView {
    const amount = signedMinor(billed.amount, account.currency);
    const negated = (text: string) => (text.startsWith('-') ? text.slice(1) : `-${text}`);
    // A cap's, or a line from before lines added up, is taken back as one unit of its amount.
    const asBilled = billed.unitPrice !== null && productMinor(billed.quantity, billed.unitPrice, account.currency) === amount;
    const unitPrice = asBilled ? formatScaled(parseSigned(billed.unitPrice!)) : formatScaled(scaledOfMinor(amount, account.currency));
    const subject = this.subject(account, resource.info, resource.ownerName, billed.sku);
    const { name, start, end } = textsOf(month);
    return {
      id: lineId(invoiceId, resource.info.resourceId, start, 'reversal', keyOf(billed)),
      description: `Adjustment for ${name}, as invoiced, taken back: ${subject}${billed.unit === 'cap' ? ', monthly cap' : ''}`,
      resourceId: resource.info.resourceId,
      resourceType: billed.resourceType,
      accountId: billed.accountId,
      sku: billed.sku,
      quantity: asBilled ? negated(billed.quantity) : '-1',
      unit: asBilled || billed.unit === 'cap' ? billed.unit : 'line',
      unitPrice,
      amount: formatMinor(-amount, account.currency),
      periodStart: start,
      periodEnd: end,
      usage: [],
    };
  }
}

const parseSigned = (text: string) => (text.startsWith('-') ? -parseDecimal(text.slice(1), 'unitPrice') : parseDecimal(text, 'unitPrice'));
const sameDecimal = (a: string, b: string) => {
  const x = fractionOf(a);
  const y = fractionOf(b);
  return x.numerator * y.denominator === y.numerator * x.denominator;
};
