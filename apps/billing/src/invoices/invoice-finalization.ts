import { randomUUID } from 'node:crypto';
import type pg from 'pg';
import { AppError, type CreditNoteView, type EventMetadata, type InvoiceView, type Scope } from '#libs/contracts';
import { ConcurrencyError, decideInTransaction, isUniqueViolation, readState, withRetriedTransaction, type EventStore, type RecordedEvent, type Sql } from '#libs/event-store';
import { Accounts, type BillingAccount } from '../accounts/accounts.js';
import type { Dunning } from '../accounts/dunning.js';
import { PLATFORM } from '../prices/price-list.decider.js';
import { monthOf } from '../rating/rating.js';
import { iso, nowSecond, periodOf } from './calendar.js';
import { invoiceDecider, invoiceStreamId, monthNotEnded, requireFinalizable, type InvoiceCommand, type InvoiceEvent } from './invoice.decider.js';
import { finalizedView, type InvoiceQueries } from './invoice-queries.js';
import type { InvoiceRating } from './invoice-rating.js';
import type { InvoicesMetrics } from './invoices.metrics.js';
import type { InvoiceRow, InvoicesRepository, TakenNumber } from './invoices.repository.js';

/** The prefix of an issuer's numbers: AWN for the platform, a reseller's from its name and id, so no two issuers share one. */
export function numberPrefix(issuer: Pick<BillingAccount, 'id' | 'name'> | null): string {
  if (!issuer) return 'AWN';
  const letters = issuer.name.toUpperCase().replace(/[^A-Z0-9]/g, '').slice(0, 4) || 'RS';
  return `${letters}-${issuer.id.replace(/[^a-zA-Z0-9]/g, '').slice(0, 4).toUpperCase()}`;
}

/**
 * What finance does with a drafted invoice: finalizes it (rated a last time, numbered, its lines
 * frozen), marks it paid or voids it (which settles its account's dunning), or credits it. Each
 * change, with the number it takes, is one transaction.
 */
export class InvoiceFinalization {
  constructor(
    private readonly pool: pg.Pool,
    private readonly store: EventStore,
    private readonly invoices: InvoicesRepository,
    private readonly rating: InvoiceRating,
    private readonly queries: InvoiceQueries,
    private readonly dunning: Dunning,
    private readonly metrics: InvoicesMetrics,
  ) {}

  /**
   * Rates the draft for the last time, freezes its lines and numbers it, in one transaction. Only
   * once its month has ended (CONFLICT before, naming when it ends): the month's usage is known then.
   * The number is taken last, by the statement that writes the lines, once they are written: the
   * issuer's counter stays locked from there to the commit, so the finalizes of one issuer wait on
   * each other for that little (the event and the commit), not for each other's lines.
   */
  async finalize(id: unknown, scope: Scope, metadata: EventMetadata): Promise<InvoiceView> {
    const invoice = await this.existing(id, scope, 'finalize');
    const streamId = invoiceStreamId(invoice.id);
    const { event, lines } = await withRetriedTransaction(this.pool, async (tx) => {
      const { state, version } = await readState(this.store, streamId, invoiceDecider, tx);
      const at = Date.now();
      requireFinalizable(state, at);
      const account = (await Accounts.find(tx, invoice.accountId))!;
      const rated = await this.rating.rate(tx, account, invoice.id, periodOf(invoice.periodStart, invoice.periodEnd), Math.floor(at / 1000), true);
      // Their differences are on this invoice now.
      if (rated.adjustedMonths.length > 0) await this.invoices.settleLateUsage(tx, account.id, rated.adjustedMonths);
      const year = new Date().getUTCFullYear();
      let taken: TakenNumber;
      try {
        taken = await this.invoices.freezeLinesAndTakeNumber(tx, invoice.id, rated.lines, invoice.issuerId, year);
      } catch (error) {
        // A concurrent finalize of the invoice wrote them first: decide again on what it did.
        if (isUniqueViolation(error)) throw new ConcurrencyError(streamId, version, null);
        throw error;
      }
      const command: InvoiceCommand = {
        type: 'FinalizeInvoice', number: documentNumber(invoice.issuerId, 'INV', year, taken),
        subtotal: rated.subtotal, tax: rated.tax, total: rated.total, lineCount: rated.lines.length, at,
      };
      const [appended] = await this.store.append(streamId, invoiceDecider.decide(command, state), { expectedVersion: version, metadata, tx });
      return { event: appended as RecordedEvent<Extract<InvoiceEvent, { type: 'InvoiceFinalized' }>>, lines: rated.lines };
    });
    const { number, subtotal, tax, total, currency } = event.data;
    this.metrics.finalized(currency, total);
    // As the projection has it now.
    return finalizedView({ ...invoice, status: 'FINALIZED', number, subtotal, tax, total, issuedAt: new Date(event.occurredAt) }, lines);
  }

  async markPaid(id: unknown, reference: unknown, scope: Scope, metadata: EventMetadata): Promise<InvoiceView> {
    const invoice = await this.existing(id, scope, 'mark paid');
    await this.settling(invoice, { type: 'MarkInvoicePaid', reference: reference as string }, metadata);
    return this.queries.get(invoice.id, scope);
  }

  async void(id: unknown, reason: unknown, scope: Scope, metadata: EventMetadata): Promise<InvoiceView> {
    const invoice = await this.existing(id, scope, 'void');
    await this.settling(invoice, { type: 'VoidInvoice', reason: reason as string }, metadata);
    return this.queries.get(invoice.id, scope);
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
    return (await this.invoices.creditNotes([invoice.id])).find((note) => note.id === creditNoteId)!;
  }

  /** An invoice to act on: the running month's (not drafted before it ends) is CONFLICT naming when it ends. */
  private async existing(id: unknown, scope: Scope, action: string, field = 'id'): Promise<InvoiceRow> {
    const found = await this.queries.locate(id, scope, field);
    if ('row' in found) return found.row;
    const period = monthOf(nowSecond());
    throw AppError.conflict(monthNotEnded(action, iso(period.start), iso(period.end)));
  }

  private async settling(invoice: InvoiceRow, command: InvoiceCommand, metadata: EventMetadata): Promise<void> {
    await withRetriedTransaction(this.pool, async (tx) => {
      const events = await decideInTransaction(this.store, tx, invoiceStreamId(invoice.id), invoiceDecider, command, metadata);
      if (events.length > 0) await this.dunning.settle(tx, invoice, metadata);
    });
  }

  /** The issuer's next number in the series this year, taken in the transaction that uses it (its last statements: the counter stays locked until the commit). */
  private async nextNumber(tx: Sql, issuerId: string, series: 'INV' | 'CN'): Promise<string> {
    const year = new Date().getUTCFullYear();
    return documentNumber(issuerId, series, year, await this.invoices.takeNumber(tx, issuerId, series, year));
  }
}

/** `AWN-2026-000123`, `ACME-1A2B-CN-2026-000007`: a number an issuer's series took in a year. */
function documentNumber(issuerId: string, series: 'INV' | 'CN', year: number, { last, issuerName }: TakenNumber): string {
  const issuer = issuerId === PLATFORM || issuerName === null ? null : { id: issuerId, name: issuerName };
  return `${numberPrefix(issuer)}-${series === 'CN' ? 'CN-' : ''}${year}-${String(last).padStart(6, '0')}`;
}
