import { createHash } from 'node:crypto';
import type { InvoiceLineView } from '#libs/contracts';
import type { Sql } from '#libs/event-store';
import { Accounts, type BillingAccount } from '../accounts/accounts.js';
import type { ResourceInfo, UsageSegment } from '../metering/meter.js';
import { SEGMENT_COLUMNS, segmentOf } from '../metering/metering.js';
import { formatMinor, formatScaled, parseDecimal, parseMinor } from '../money/money.js';
import type { Prices } from '../prices/prices.js';
import { monthOf, rateResource, taxOf, type Period, type PriceList, type RatedLine } from '../rating/rating.js';



export interface RatedInvoice {
  lines: InvoiceLineView[];
  subtotal: string;
  tax: string;
  total: string;
  /** The months whose late usage these lines settle. */
  adjustedMonths: string[];
}

const iso = (second: number) => new Date(second * 1000).toISOString();
const MONTH_NAME = new Intl.DateTimeFormat('en', { month: 'long', year: 'numeric', timeZone: 'UTC' });

/** A stable uuid for a line, from what it is: the same line rated twice has the same id. */
export function lineId(...parts: string[]): string {
  const hex = createHash('sha256').update(parts.join('\u0000')).digest('hex');
  return `${hex.slice(0, 8)}-${hex.slice(8, 12)}-5${hex.slice(13, 16)}-a${hex.slice(17, 20)}-${hex.slice(20, 32)}`;
}

/** The invoice of an account for a month has one id, before and after it is drafted. */
export const invoiceIdOf = (accountId: string, period: Period) => lineId('invoice', accountId, iso(period.start));

/** A rated line and the name of the account whose resource it is (a reseller's customer, on the reseller's invoice). */
type OwnedLine = RatedLine & { ownerName: string };

interface ResourceRow {
  id: string;
  type: ResourceInfo['type'];
  accountId: string;
  accountName: string;
  name: string;
  billingCycle: ResourceInfo['billingCycle'];
  closedSeconds: string;
  openSince: number | null;
  endedAt: number | null;
}

/**
 * Rates an account's invoice for a month from the usage segments as they are now: one line per
 * resource (on a reseller's platform invoice, its customers' resources too, each its own
 * line), then adjustment lines for earlier months whose finalized invoices are now wrong.
 */
export class InvoiceRating {
  constructor(private readonly prices: Prices) {}

  async rate(sql: Sql, account: BillingAccount, invoiceId: string, period: Period, asOf: number, withAdjustments: boolean): Promise<RatedInvoice> {
    const owners = await Accounts.invoicedUsageOwners(sql, account);
    const prices = await this.prices.listFor(account.issuerId, account.currency, sql);
    const rated = await this.rateMonth(sql, owners, period, asOf, prices, account.currency);
    const lines = rated.map((line) => this.lineView(invoiceId, line, period, account, false, line.amountMinor));
    const adjustedMonths: string[] = [];
    if (withAdjustments) {
      for (const month of await this.lateMonths(sql, account.id, period)) {
        const lateLines = await this.adjustments(sql, account, invoiceId, owners, month, asOf, prices);
        lines.push(...lateLines);
        adjustedMonths.push(iso(month.start));
      }
    }
    const subtotal = lines.reduce((sum, line) => sum + signedMinor(line.amount, account.currency), 0n);
    const tax = taxOf(subtotal, parseDecimal(account.taxRate, 'taxRate'));
    return {
      lines,
      subtotal: formatMinor(subtotal, account.currency),
      tax: formatMinor(tax, account.currency),
      total: formatMinor(subtotal + tax, account.currency),
      adjustedMonths,
    };
  }

  private async rateMonth(sql: Sql, owners: string[], period: Period, asOf: number, prices: PriceList, currency: string): Promise<OwnedLine[]> {
    const { rows: resources } = await sql.query<ResourceRow>(
      `SELECT r.id, r.type, r.account_id AS "accountId", coalesce(a.name, r.account_id) AS "accountName", r.name, r.billing_cycle AS "billingCycle",
              r.closed_seconds::text AS "closedSeconds", extract(epoch FROM r.open_since)::bigint AS "openSince", extract(epoch FROM r.ended_at)::bigint AS "endedAt"
       FROM resources r LEFT JOIN accounts a ON a.id = r.account_id
       WHERE r.account_id = ANY($1) AND r.billable
         AND EXISTS (SELECT 1 FROM usage_segments s WHERE s.resource_id = r.id AND s.started_at < to_timestamp($3) AND (s.ended_at IS NULL OR s.ended_at > to_timestamp($2)))
       ORDER BY r.account_id, r.id`,
      [owners, period.start, Math.min(period.end, asOf)],
    );
    if (resources.length === 0) return [];
    const { rows: segmentRows } = await sql.query(
      `SELECT ${SEGMENT_COLUMNS} FROM usage_segments
       WHERE resource_id = ANY($1) AND started_at < to_timestamp($3) AND (ended_at IS NULL OR ended_at > to_timestamp($2))
       ORDER BY resource_id, started_at, id`,
      [resources.map((r) => r.id), period.start, Math.min(period.end, asOf)],
    );
    const byResource = new Map<string, UsageSegment[]>();
    for (const row of segmentRows) {
      const segment = segmentOf(row);
      const list = byResource.get(segment.resourceId);
      if (list) list.push(segment);
      else byResource.set(segment.resourceId, [segment]);
    }
    return resources.map((r) => {
      const openSince = r.openSince === null ? null : Number(r.openSince);
      const life = {
        seconds: Number(r.closedSeconds) + (openSince === null ? 0 : Math.max(0, asOf - openSince)),
        endsAt: openSince === null ? Math.min(Number(r.endedAt ?? asOf), asOf) : asOf,
      };
      const info: ResourceInfo = { resourceId: r.id, type: r.type, accountId: r.accountId, name: r.name, billingCycle: r.billingCycle };
      return { ...rateResource({ info, segments: byResource.get(r.id) ?? [], life }, period, asOf, prices, currency), ownerName: r.accountName };
    });
  }

  private lineView(invoiceId: string, line: OwnedLine, period: Period, account: BillingAccount, adjustment: boolean, amountMinor: bigint): InvoiceLineView {
    const name = line.info.name;
    const what = line.info.type === 'IPV4' ? `Floating IPv4 ${name}` : `${name} (${line.sku}, ${line.billingCycle.toLowerCase()})`;
    const whose = line.info.accountId === account.id ? '' : `${line.ownerName}: `;
    const month = MONTH_NAME.format(new Date(period.start * 1000));
    const minimum = line.paddedSeconds > 0 ? `, ${line.paddedSeconds} s added (the minimum or the started hour)` : '';
    return {
      id: lineId(invoiceId, line.info.resourceId, iso(period.start), adjustment ? 'adjustment' : 'usage'),
      description: adjustment ? `Adjustment for ${month}: ${whose}${what}` : `${whose}${what}, ${month}${line.capped ? ' (monthly cap)' : ''}${minimum}`,
      resourceId: line.info.resourceId,
      resourceType: line.info.type,
      accountId: line.info.accountId,
      sku: line.sku,
      quantity: line.quantity,
      unit: line.unit,
      unitPrice: formatScaled(line.unitPrice),
      amount: formatMinor(amountMinor, account.currency),
      periodStart: iso(period.start),
      periodEnd: iso(period.end),
      usage: line.usage.map(({ segment, seconds }) => ({
        segmentId: segment.id, resourceId: segment.resourceId, sku: segment.sku, state: segment.state,
        startedAt: iso(segment.startedAt), endedAt: segment.endedAt === null ? null : iso(segment.endedAt), seconds,
        openedBy: segment.openedBy, closedBy: segment.closedBy,
      })),
    };
  }

  /** Earlier months of the account with late usage whose invoice is final: their differences go on this invoice. */
  private async lateMonths(sql: Sql, accountId: string, period: Period): Promise<Period[]> {
    const { rows } = await sql.query<{ start: string }>(
      `SELECT extract(epoch FROM l.month::timestamp AT TIME ZONE 'UTC')::bigint AS start FROM late_usage l
       JOIN invoices i ON i.account_id = l.account_id AND i.period_start = l.month::timestamp AT TIME ZONE 'UTC' AND i.status <> 'DRAFT'
       WHERE l.account_id = $1 AND l.month::timestamp AT TIME ZONE 'UTC' < to_timestamp($2) ORDER BY l.month`,
      [accountId, period.start],
    );
    return rows.map((row) => monthOf(Number(row.start)));
  }

  /** Per resource, the month rated now less what finalized invoices already billed for it. */
  private async adjustments(sql: Sql, account: BillingAccount, invoiceId: string, owners: string[], month: Period, asOf: number, prices: PriceList): Promise<InvoiceLineView[]> {
    const now = await this.rateMonth(sql, owners, month, asOf, prices, account.currency);
    const { rows } = await sql.query<{ resourceId: string; resourceType: string; billed: string }>(
      `SELECT l.resource_id AS "resourceId", min(l.resource_type) AS "resourceType", sum(l.amount)::text AS billed FROM invoice_lines l
       JOIN invoices i ON i.id = l.invoice_id AND i.account_id = $1 AND i.status <> 'DRAFT'
       WHERE l.period_start = to_timestamp($2) GROUP BY l.resource_id`,
      [account.id, month.start],
    );
    const billed = new Map(rows.map((r) => [r.resourceId, signedMinor(r.billed, account.currency)]));
    const typeOf = new Map(rows.map((r) => [r.resourceId, r.resourceType]));
    const lines: InvoiceLineView[] = [];
    for (const line of now) {
      const difference = line.amountMinor - (billed.get(line.info.resourceId) ?? 0n);
      billed.delete(line.info.resourceId);
      if (difference !== 0n) lines.push(this.lineView(invoiceId, line, month, account, true, difference));
    }
    // A resource billed then that has no usage in the month any more is credited in full.
    for (const [resourceId, amount] of billed) {
      if (amount === 0n) continue;
      lines.push({
        id: lineId(invoiceId, resourceId, iso(month.start), 'adjustment'), description: `Adjustment for ${MONTH_NAME.format(new Date(month.start * 1000))}: ${resourceId} has no usage in it`,
        resourceId, resourceType: typeOf.get(resourceId)!, accountId: account.id, sku: '-', quantity: '0', unit: 'month', unitPrice: '0.00',
        amount: formatMinor(-amount, account.currency), periodStart: iso(month.start), periodEnd: iso(month.end), usage: [],
      });
    }
    return lines;
  }
}

const signedMinor = (text: string, currency: string) => (text.startsWith('-') ? -parseMinor(text.slice(1), 'amount', currency) : parseMinor(text, 'amount', currency));
