import type { Projection } from '#libs/event-store';
import type { InvoiceEvent, InvoiceHeader } from './invoice.decider.js';

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
        await tx.query({
          name: 'billing_invoice_finalized',
          text: `UPDATE invoices SET status = 'FINALIZED', number = $2, subtotal = $3, tax = $4, total = $5, issued_at = $6 WHERE id = $1`,
          values: [id, d.number, d.subtotal, d.tax, d.total, recorded.occurredAt],
        });
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
  /** A month close's drafts in one statement; any other batch event by event. */
  async applyAll(tx, recorded) {
    if (recorded.some((event) => event.type !== 'InvoiceDrafted')) {
      for (const event of recorded) await invoicesProjection.apply(tx, event);
      return;
    }
    const drafts = recorded.map((event) => ({ ...(event.data as InvoiceHeader), position: event.globalPosition }));
    await tx.query(
      `INSERT INTO invoices (id, position, account_id, issuer_id, currency, period_start, period_end, status)
       SELECT d."invoiceId", d.position, d."accountId", d."issuerId", d.currency, d."periodStart", d."periodEnd", 'DRAFT'
       FROM jsonb_to_recordset($1::jsonb) AS d ("invoiceId" uuid, position bigint, "accountId" text, "issuerId" text, currency text, "periodStart" timestamptz, "periodEnd" timestamptz)`,
      [JSON.stringify(drafts)],
    );
  },
  async clear(tx) {
    await tx.query('DELETE FROM credit_notes');
    await tx.query('DELETE FROM invoices');
  },
};
