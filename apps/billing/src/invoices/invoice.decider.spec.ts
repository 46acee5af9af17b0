import { deciderSpec } from '#libs/testing';
import { invoiceDecider, type InvoiceEvent, type InvoiceHeader } from './invoice.decider.js';

const header: InvoiceHeader = {
  invoiceId: 'inv-1', accountId: 'acct-1', issuerId: 'platform', currency: 'EUR', periodStart: '2026-09-01T00:00:00.000Z', periodEnd: '2026-10-01T00:00:00.000Z',
};
const drafted: InvoiceEvent = { type: 'InvoiceDrafted', data: header };
const finalized: InvoiceEvent = {
  type: 'InvoiceFinalized',
  data: { invoiceId: 'inv-1', accountId: 'acct-1', issuerId: 'platform', number: 'AWN-2026-000001', currency: 'EUR', subtotal: '10.00', tax: '1.90', total: '11.90', lineCount: 2 },
};
const credited = (amount: string): InvoiceEvent => ({
  type: 'CreditNoteIssued', data: { invoiceId: 'inv-1', accountId: 'acct-1', creditNoteId: `cn-${amount}`, number: 'AWN-CN-2026-000001', amount, reason: 'r' },
});
const finalize = { type: 'FinalizeInvoice' as const, number: 'AWN-2026-000001', subtotal: '10.00', tax: '1.90', total: '11.90', lineCount: 2, at: Date.parse('2026-10-01T00:00:00Z') };
const spec = deciderSpec(invoiceDecider);

describe('invoice decider', () => {
  it('drafts an invoice once', () => {
    spec.given([]).when({ type: 'DraftInvoice', header }).then([drafted]);
    spec.given([drafted]).when({ type: 'DraftInvoice', header }).then([]);
  });

  it('finalizes a draft, and only a draft', () => {
    spec.given([drafted]).when(finalize).then([finalized]);
    spec.given([drafted, finalized]).when(finalize).thenThrows(/cannot finalize an invoice that is FINALIZED/);
  });

  it('finalizes a month only once it has ended, naming when it ends', () => {
    spec.given([drafted]).when({ ...finalize, at: Date.parse('2026-09-30T23:59:59.999Z') })
      .thenThrows(/cannot finalize the invoice of 2026-09 before its month ends, at 2026-10-01T00:00:00.000Z/);
  });

  it('marks a finalized invoice paid with a reference, again with the same one changing nothing', () => {
    const paid: InvoiceEvent = { type: 'InvoicePaid', data: { invoiceId: 'inv-1', accountId: 'acct-1', reference: 'bank-1' } };
    spec.given([drafted, finalized]).when({ type: 'MarkInvoicePaid', reference: ' bank-1 ' }).then([paid]);
    spec.given([drafted, finalized, paid]).when({ type: 'MarkInvoicePaid', reference: 'bank-1' }).then([]);
    spec.given([drafted, finalized, paid]).when({ type: 'MarkInvoicePaid', reference: 'bank-2' }).thenThrows(/PAID/);
    spec.given([drafted]).when({ type: 'MarkInvoicePaid', reference: 'bank-1' }).thenThrows(/DRAFT/);
    spec.given([drafted, finalized]).when({ type: 'MarkInvoicePaid', reference: '' }).thenThrows(/reference/);
  });

  it('voids a draft or a finalized invoice, never a paid one', () => {
    const voided: InvoiceEvent = { type: 'InvoiceVoided', data: { invoiceId: 'inv-1', accountId: 'acct-1', reason: 'duplicate' } };
    spec.given([drafted, finalized]).when({ type: 'VoidInvoice', reason: 'duplicate' }).then([voided]);
    spec.given([drafted]).when({ type: 'VoidInvoice', reason: 'duplicate' }).then([voided]);
    spec.given([drafted, finalized, { type: 'InvoicePaid', data: { invoiceId: 'inv-1', accountId: 'acct-1', reference: 'b' } }])
      .when({ type: 'VoidInvoice', reason: 'duplicate' }).thenThrows(/credit note/);
  });

  it('credits never more than what is left of the total', () => {
    const credit = (amount: string) => ({ type: 'IssueCreditNote' as const, creditNoteId: `cn-${amount}`, number: 'AWN-CN-2026-000001', amount, reason: 'r' });
    spec.given([drafted, finalized]).when(credit('11.90')).then([credited('11.90')]);
    spec.given([drafted, finalized, credited('10.00')]).when(credit('1.90')).then([credited('1.90')]);
    spec.given([drafted, finalized, credited('10.00')]).when(credit('1.91')).thenThrows(/input\.amount.*1\.90 EUR left/);
    spec.given([drafted, finalized]).when(credit('0')).thenThrows(/more than zero/);
    spec.given([drafted, finalized]).when(credit('1.005')).thenThrows(/input\.amount/);
    spec.given([drafted]).when(credit('1.00')).thenThrows(/cannot credit an invoice that is DRAFT/);
  });
});
