import type { Projection } from '#libs/event-store';
import type { InvoiceEvent } from './invoice.decider.js';

export const invoicesProjection: Projection = {
  name: 'invoices',
  eventTypes: ['InvoiceDrafted', 'InvoiceFinalized', 'InvoicePaid', 'InvoiceVoided', 'CreditNoteIssued'],
  async apply(tx, recorded) {
    const event = recorded as unknown as InvoiceEvent;
    const id = event.data.invoiceId;
    switch (event.type) {
      case 'InvoiceDrafted': {
        const h = event.data;
        await tx.query(
          `INSERT INTO invoices (id, position, account_id, issuer_id, currency, period_start, period_end, status)
           VALUES ($1, $2, $3, $4, $5, $6, $7, 'DRAFT')`,
          [id, recorded.globalPosition, h.accountId, h.issuerId, h.currency, h.periodStart, h.periodEnd],
        );
        return;
      }
      case 'InvoiceFinalized': {
        const d = event.data;
        await tx.query(
          `UPDATE invoices SET status = 'FINALIZED', number = $2, subtotal = $3, tax = $4, total = $5, issued_at = $6 WHERE id = $1`,
          [id, d.number, d.subtotal, d.tax, d.total, recorded.occurredAt],
        );
        return;
      }
      case 'InvoicePaid':
        await tx.query(`UPDATE invoices SET status = 'PAID', paid_at = $2, payment_reference = $3 WHERE id = $1`, [id, recorded.occurredAt, event.data.reference]);
        return;
      case 'InvoiceVoided':
        await tx.query(`UPDATE invoices SET status = 'VOID', void_reason = $2 WHERE id = $1`, [id, event.data.reason]);
        return;
      case 'CreditNoteIssued': {
        const d = event.data;
        await tx.query('INSERT INTO credit_notes (id, invoice_id, number, amount, reason, issued_at) VALUES ($1, $2, $3, $4, $5, $6)', [
          d.creditNoteId, id, d.number, d.amount, d.reason, recorded.occurredAt,
        ]);
        await tx.query('UPDATE invoices SET credited = credited + $2 WHERE id = $1', [id, d.amount]);
        return;
      }
    }
  },
  async clear(tx) {
    await tx.query('DELETE FROM credit_notes');
    await tx.query('DELETE FROM invoices');
  },
};
