import { operation, type Connection, type Money, type PageVariables } from '../graphql/operation.js';

export const INVOICE_STATUSES = ['DRAFT', 'FINALIZED', 'PAID', 'VOID'] as const;
export type InvoiceStatus = (typeof INVOICE_STATUSES)[number];

export interface Invoice {
  id: string;
  number: string | null;
  account: { id: string; name: string };
  status: InvoiceStatus;
  currency: string;
  periodStart: string;
  periodEnd: string;
  subtotal: Money;
  tax: Money;
  total: Money;
  issuedAt: string | null;
  paidAt: string | null;
}

export interface InvoiceLine {
  id: string;
  description: string;
  resourceId: string | null;
  sku: string;
  quantity: string;
  unit: string;
  unitPrice: Money;
  amount: Money;
}

export interface CreditNote {
  id: string;
  number: string;
  amount: Money;
  reason: string;
  issuedAt: string;
}

/** An invoice with its lines and credit notes, as `get` shows it. */
export interface InvoiceDetail extends Invoice {
  lines: InvoiceLine[];
  creditNotes: CreditNote[];
}

const INVOICE = 'id number account { id name } status currency periodStart periodEnd subtotal { amount currency } tax { amount currency } total { amount currency } issuedAt paidAt';
const DETAIL = `${INVOICE} lines { id description resourceId sku quantity unit unitPrice { amount currency } amount { amount currency } } creditNotes { id number amount { amount currency } reason issuedAt }`;

export const invoices = operation<PageVariables & { accountId?: string; status?: InvoiceStatus }, { invoices: Connection<Invoice> }>(
  `query Invoices($first: Int, $after: String, $accountId: ID, $status: InvoiceStatus) {
    invoices(first: $first, after: $after, accountId: $accountId, status: $status) { edges { cursor node { ${INVOICE} } } pageInfo { hasNextPage endCursor } totalCount }
  }`,
);

export const invoice = operation<{ id: string }, { invoice: InvoiceDetail | null }>(`query Invoice($id: ID!) { invoice(id: $id) { ${DETAIL} } }`);

export const upcomingInvoice = operation<{ accountId?: string }, { upcomingInvoice: InvoiceDetail }>(
  `query UpcomingInvoice($accountId: ID) { upcomingInvoice(accountId: $accountId) { ${DETAIL} } }`,
);

export const finalizeInvoice = operation<{ id: string }, { finalizeInvoice: InvoiceDetail }>(`mutation FinalizeInvoice($id: ID!) { finalizeInvoice(id: $id) { ${DETAIL} } }`);
export const voidInvoice = operation<{ id: string; reason: string }, { voidInvoice: InvoiceDetail }>(
  `mutation VoidInvoice($id: ID!, $reason: String!) { voidInvoice(id: $id, reason: $reason) { ${DETAIL} } }`,
);
export const markInvoicePaid = operation<{ id: string; reference: string }, { markInvoicePaid: InvoiceDetail }>(
  `mutation MarkInvoicePaid($id: ID!, $reference: String!) { markInvoicePaid(id: $id, reference: $reference) { ${DETAIL} } }`,
);
export const issueCreditNote = operation<{ input: { invoiceId: string; amount: string; reason: string } }, { issueCreditNote: CreditNote & { invoice: Invoice } }>(
  `mutation IssueCreditNote($input: IssueCreditNoteInput!) { issueCreditNote(input: $input) { id number amount { amount currency } reason issuedAt invoice { ${INVOICE} } } }`,
);
