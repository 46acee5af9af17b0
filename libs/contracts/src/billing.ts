/**
 * What billing answers the gateway with: an invoice as its API shows it. Both sides use these
 * shapes, so they are the contract of `billing.invoice.*`, like the events.
 */
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

export interface InvoiceView {
  id: string;
  /** Null until finalized. */
  number: string | null;
  accountId: string;
  issuerId: string;
  status: 'DRAFT' | 'FINALIZED' | 'PAID' | 'VOID';
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

/** billing's request-reply subjects (`billing.*`): what the gateway sends, and what comes back. */
export interface BillingRequests {}
