import type { Caller } from './caller.js';
import { isUuid } from './names.js';
import type { CountedPage } from './requests.js';

/**
 * billing's request-reply contract: what the gateway (and an operator's tool) sends on
 * `billing.*`, and the shapes that come back. Amounts and prices are exact decimal strings:
 * amounts in the currency's minor unit ("12.34"), prices to ten decimals at most ("0.0119").
 */

export type InvoiceStatus = 'DRAFT' | 'FINALIZED' | 'PAID' | 'VOID';

/** An invoice's id as a caller may write it: a UUID, in either case. */
export const isInvoiceId = (id: unknown): id is string => typeof id === 'string' && isUuid(id.toLowerCase());

export interface UsageView {
  segmentId: string;
  resourceId: string;
  /** The plan (or other priced item) the resource had during the segment. */
  sku: string;
  state: string;
  startedAt: string;
  endedAt: string | null;
  /** Seconds of the segment rated on the line: inside its period, at its unit price. */
  seconds: number;
  /** The events that opened and closed it. */
  openedBy: string;
  closedBy: string | null;
}

/**
 * One line per resource, sku and unit price in the period, and one for a monthly cap: quantity ×
 * unitPrice, rounded half-even to the currency's minor unit, is the amount on every line.
 */
export interface InvoiceLineView {
  id: string;
  description: string;
  resourceId: string | null;
  resourceType: string;
  /** Whose resource it is: on a reseller's invoice, one of its customers. */
  accountId: string;
  sku: string;
  /** Hours or months of use ('hour', 'month'), 1 for a cap ('cap'); negative where an adjustment takes a line back. */
  quantity: string;
  unit: string;
  unitPrice: string;
  amount: string;
  periodStart: string;
  periodEnd: string;
  usage: UsageView[];
}

export interface CreditNoteView {
  id: string;
  number: string;
  invoiceId: string;
  amount: string;
  currency: string;
  reason: string;
  issuedAt: string;
}

/** The issuerId of what the platform issues: its resellers' invoices and its own customers'. */
export const PLATFORM_ISSUER = 'platform';

export interface InvoiceView {
  id: string;
  /** Null until finalized. */
  number: string | null;
  accountId: string;
  /** PLATFORM_ISSUER, or the reseller that bills its customer. */
  issuerId: string;
  status: InvoiceStatus;
  currency: string;
  periodStart: string;
  periodEnd: string;
  lines: InvoiceLineView[];
  subtotal: string;
  tax: string;
  total: string;
  issuedAt: string | null;
  paidAt: string | null;
  paymentReference: string | null;
  creditNotes: CreditNoteView[];
}

/** A CSV export (RFC 4180, CRLF): a header unless asked without, then a row per invoice line, whose first column is the invoice's number. */
export interface InvoiceCsv {
  csv: string;
}

/** The most invoices one `billing.invoice.csvRows` names: a month's CSV is asked for that many at a time. */
export const MONTH_CSV_BATCH = 100;

/** What a month's close did: the drafts it made, and the accounts with usage billing has not heard of yet (drafted once it has). */
export interface MonthClosed {
  drafted: number;
  unknownAccounts: string[];
}

export interface IssueCreditNoteInput {
  invoiceId: string;
  amount: string;
  reason: string;
}

const ISO_4217 = new Set(Intl.supportedValuesOf('currency'));

/** Whether `value` is an ISO 4217 currency code, such as EUR: what accounts are billed and plans priced in. */
export const isIsoCurrency = (value: unknown): value is string => typeof value === 'string' && /^[A-Z]{3}$/.test(value) && ISO_4217.has(value);

/** The sku a floating IPv4 address is priced and billed under: a plan never takes it. */
export const FLOATING_IPV4_SKU = 'ipv4';

/** The sku snapshots' storage is priced and billed under, per GB-month (a GB is 1024 MB). */
export const SNAPSHOT_STORAGE_SKU = 'snapshot-storage';

/** The sku backups' storage in the region's backup store is priced and billed under, per GB-month. */
export const BACKUP_STORAGE_SKU = 'backup-storage';

/** A plan's price in one list: the platform's, or a reseller's for its customers. */
export interface PriceView {
  sku: string;
  currency: string;
  /** The platform ('platform'), or the reseller whose list it comes from. */
  ownerId: string;
  hourlyPrice: string;
  monthlyPrice: string;
  stoppedHourlyPrice: string | null;
  stoppedMonthlyPrice: string | null;
}

export interface SetPriceInput {
  /** The reseller whose customers pay it; absent, null or 'platform' for the platform's list (ADMIN). */
  accountId?: string | null;
  /** Only for the platform's list: a reseller's list is in the reseller's currency. */
  currency?: string;
  planId: string;
  hourlyPrice: string;
  monthlyPrice: string;
  stoppedHourlyPrice?: string | null;
  stoppedMonthlyPrice?: string | null;
}

export interface SetStoragePriceInput {
  /** As in SetPriceInput: a reseller, or the platform's list in `currency`. */
  accountId?: string | null;
  currency?: string;
  /** snapshot-storage or backup-storage. */
  sku: string;
  monthlyPrice: string;
}

/** PER_SECOND: to the second, with a 60-second minimum per resource; PER_HOUR: every started hour. */
export type PriceGranularity = 'PER_SECOND' | 'PER_HOUR';
/** FULL: a stopped instance costs what a running one does; STOPPED_PRICE: its plan's stopped price. */
export type StoppedBilling = 'FULL' | 'STOPPED_PRICE';

export interface SetPriceListOptionsInput {
  /** As in SetPriceInput: a reseller, or the platform's list in `currency`. */
  accountId?: string | null;
  currency?: string;
  granularity: PriceGranularity;
  stoppedBilling: StoppedBilling;
}

export interface PriceListOptionsView {
  ownerId: string;
  currency: string;
  granularity: PriceGranularity;
  stoppedBilling: StoppedBilling;
}

/** An account's standing in dunning: PAST_DUE since a payment failed, SUSPENDED once unpaid past the grace period. */
export interface AccountStandingView {
  accountId: string;
  status: 'ACTIVE' | 'PAST_DUE' | 'SUSPENDED';
  pastDueSince: string | null;
}

/** What a resource has cost so far this month, as its account's upcoming invoice rates it. */
export interface ResourceCostView {
  resourceId: string;
  amount: string;
  currency: string;
}

/** `billing.invoice.list`: a page of the invoices in the caller's scope, narrowed to one account or status. */
export interface InvoiceListRequest extends Caller {
  accountId?: string | null;
  status?: InvoiceStatus | null;
  first?: number | null;
  after?: string | null;
}

type ById = Caller & { id: string };

/**
 * billing's request-reply subjects (`billing.*`). A request of a tenant's data carries the caller's
 * scope (Caller), and billing refuses one without it; the platform's price lists and currencies are
 * for everyone.
 */
export interface BillingRequests {
  /** The running month's invoice of an account, rated live; its id is the one the month's draft will have. */
  'billing.invoice.upcoming': { request: Caller & { accountId: string }; reply: InvoiceView };
  /** An invoice; the running month's (not drafted yet) is the upcoming one. */
  'billing.invoice.get': { request: ById; reply: InvoiceView };
  'billing.invoice.list': { request: InvoiceListRequest; reply: CountedPage<InvoiceView> };
  /** Numbers a draft and freezes its lines, once its month has ended (CONFLICT before). */
  'billing.invoice.finalize': { request: ById; reply: InvoiceView };
  'billing.invoice.markPaid': { request: ById & { reference: string }; reply: InvoiceView };
  'billing.invoice.void': { request: ById & { reason: string }; reply: InvoiceView };
  'billing.invoice.csv': { request: ById; reply: InvoiceCsv };
  /** The ids of every invoice of a month (`YYYY-MM`) in the caller's scope, drafts included, in the order of the month's CSV. */
  'billing.invoice.monthIds': { request: Caller & { month: string }; reply: { ids: string[] } };
  /** The CSV rows of at most MONTH_CSV_BATCH invoices monthIds gave, in that order; the header first where asked. */
  'billing.invoice.csvRows': { request: Caller & { ids: string[]; header: boolean }; reply: InvoiceCsv };
  /** The month-close job on demand: the platform's scope only (FORBIDDEN otherwise). */
  'billing.invoice.closeMonth': { request: Caller & { month: string }; reply: MonthClosed };
  'billing.creditNote.issue': { request: Caller & { input: IssueCreditNoteInput }; reply: CreditNoteView };
  /** The prices an account pays now, per plan it can be billed for: its reseller's, else the platform's. */
  'billing.price.list': { request: Caller & { accountId: string }; reply: PriceView[] };
  /** What a reseller's customers pay now, per plan they can be billed for: its prices, the platform's where it set none (its storefront's list). */
  'billing.price.ofReseller': { request: Caller & { resellerId: string }; reply: PriceView[] };
  'billing.price.set': { request: Caller & { input: SetPriceInput }; reply: PriceView };
  /**
   * A storage sku's price per GB-month (snapshot-storage, backup-storage): the platform's in a currency (ADMIN), or
   * a reseller's for its customers. Its hourly price is derived (storage is rated per GB-month only).
   */
  'billing.price.setStorage': { request: Caller & { input: SetStoragePriceInput }; reply: PriceView };
  'billing.price.setOptions': { request: Caller & { input: SetPriceListOptionsInput }; reply: PriceListOptionsView };
  /** The currencies the platform has a price in: the ones an account may be opened in. */
  'billing.price.currencies': { request: Record<string, never>; reply: string[] };
  /** The platform's prices now in a currency (what it charges a reseller there). */
  'billing.price.platform': { request: { currency: string }; reply: PriceView[] };
  /** The dunning standing of several accounts at once; those outside the scope are left out. */
  'billing.account.standing': { request: Caller & { ids: string[] }; reply: AccountStandingView[] };
  /** Many resources' cost this month so far (at most 500); a resource not metered yet, or outside the scope, is left out. */
  'billing.resource.costsToDate': { request: Caller & { resourceIds: string[] }; reply: ResourceCostView[] };
}
