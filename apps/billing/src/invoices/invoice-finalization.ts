import { randomUUID } from 'node:crypto';
import type pg from 'pg';
import { AppError, type CreditNoteView, type EventMetadata, type InvoiceView, type Scope } from '#libs/contracts';
import {
  afterCommit, ConcurrencyError, decideInTransaction, isUniqueViolation, readState, withRetriedTransaction, withTransaction,
  type EventStore, type RecordedEvent, type Sql,
} from '#libs/event-store';
import { eachAlone, type AccountQueue } from '#libs/platform';
import { withTraceContext } from '#libs/tracing';
import { Accounts, type BillingAccount } from '../accounts/accounts.js';
import type { Dunning } from '../accounts/dunning.js';
import { PLATFORM } from '../prices/price-list.decider.js';
import { monthOf } from '../rating/rating.js';
import { iso, nowSecond, periodOf } from './calendar.js';
import { invoiceDecider, invoiceStreamId, monthNotEnded, requireFinalizable, type InvoiceCommand, type InvoiceEvent, type InvoiceState } from './invoice.decider.js';
import { finalizedView, type InvoiceQueries } from './invoice-queries.js';
import type { InvoiceRating, RatedInvoice } from './invoice-rating.js';
import type { InvoicesMetrics } from './invoices.metrics.js';
import type { InvoiceRow, InvoicesRepository, TakenNumber } from './invoices.repository.js';

/** The prefix of an issuer's numbers: AWN for the platform, a reseller's from its name and id, so no two issuers share one. */
export function numberPrefix(issuer: Pick<BillingAccount, 'id' | 'name'> | null): string {
  if (!issuer) return 'AWN';
  const letters = issuer.name.toUpperCase().replace(/[^A-Z0-9]/g, '').slice(0, 4) || 'RS';
  return `${letters}-${issuer.id.replace(/[^a-zA-Z0-9]/g, '').slice(0, 4).toUpperCase()}`;
}

/** A draft rated for the last time, to be numbered and frozen: what its finalize decided on. */
interface RatedDraft {
  invoice: InvoiceRow;
  state: InvoiceState;
  version: number;
  rated: RatedInvoice;
  /** When finalizing was asked, ms since the epoch. */
  at: number;
  /** The caller's, with the trace context it was asked in (a batch runs in another caller's). */
  metadata: EventMetadata;
}

/**
 * What finance does with a drafted invoice: finalizes it (rated a last time, numbered, its lines
 * frozen), marks it paid or voids it (which settles its account's dunning), or credits it. Each
 * change, with the number it takes, is one transaction; an issuer's invoices finalized at once may
 * share one (`finalize`).
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
    /** Per issuer: finalizes that arrive while its numbers are being taken wait here, without a connection, and go together. */
    private readonly issuers: AccountQueue,
  ) {}

  /**
   * Rates the draft for the last time, freezes its lines and numbers it. Only once its month has
   * ended (CONFLICT before, naming when it ends): the month's usage is known then.
   *
   * An issuer's counter stays locked from the number to the commit, so its finalizes wait on each
   * other for that. The draft is rated first, on its own (most of the work, in parallel with
   * others'); then its lines, its number and its event are written in one transaction together
   * with those of the issuer's other drafts rated meanwhile, which take the numbers that follow:
   * finance finalizing a month takes each counter once per batch, not once per invoice. A draft
   * that settles late usage of earlier months is finalized alone, rated in the transaction that
   * settles it; so is each of a batch refused as a whole (a draft finalized or changed meanwhile),
   * rated again.
   */
  async finalize(id: unknown, scope: Scope, metadata: EventMetadata): Promise<InvoiceView> {
    const invoice = await this.existing(id, scope, 'finalize');
    const draft = await this.rate(this.pool, invoice, withTraceContext(metadata));
    return draft.rated.adjustedMonths.length > 0 ? this.finalizeAlone(invoice, draft.metadata) : this.issuers.batch(invoice.issuerId, this.finalizeTogether, draft);
  }

  /** One issuer's rated drafts numbered in one transaction; refused as a whole, each alone. */
  private readonly finalizeTogether = async (drafts: RatedDraft[]): Promise<PromiseSettledResult<InvoiceView>[]> => {
    try {
      const views = await withTransaction(this.pool, (tx) => this.freezeAndNumber(tx, drafts));
      return views.map((value) => ({ status: 'fulfilled', value }));
    } catch {
      return eachAlone(drafts, (draft) => this.finalizeAlone(draft.invoice, draft.metadata));
    }
  };

  /** Rated, settled and numbered in one transaction, retried whole when the draft changed meanwhile. */
  private finalizeAlone(invoice: InvoiceRow, metadata: EventMetadata): Promise<InvoiceView> {
    return withRetriedTransaction(this.pool, async (tx) => {
      // Usage changes wait from here to the commit: the rating below sees every one committed before.
      await this.invoices.lockUsage(tx, [invoice.accountId]);
      const draft = await this.rate(tx, invoice, metadata);
      // Their differences are on this invoice now.
      if (draft.rated.adjustedMonths.length > 0) await this.invoices.settleLateUsage(tx, invoice.accountId, draft.rated.adjustedMonths);
      const [view] = await this.freezeAndNumber(tx, [draft]);
      return view;
    });
  }

  /** The draft as it is now, rated for the last time; CONFLICT when it is no draft or its month has not ended. */
  private async rate(sql: Sql, invoice: InvoiceRow, metadata: EventMetadata): Promise<RatedDraft> {
    const { state, version } = await readState(this.store, invoiceStreamId(invoice.id), invoiceDecider, sql);
    const at = Date.now();
    requireFinalizable(state, at);
    const account = (await Accounts.find(sql, invoice.accountId))!;
    const rated = await this.rating.rate(sql, account, invoice.id, periodOf(invoice.periodStart, invoice.periodEnd), Math.floor(at / 1000), true);
    return { invoice, state, version, rated, at, metadata };
  }

  /**
   * One issuer's rated drafts frozen and numbered in their order, with one append: the number is
   * taken last, by the statement that writes the lines, so the counter stays locked only for the
   * append and the commit. A draft that moved since it was rated throws ConcurrencyError.
   */
  private async freezeAndNumber(tx: Sql, drafts: RatedDraft[]): Promise<InvoiceView[]> {
    // Usage that changed since a draft was rated is rated again; a change from now on waits for the
    // commit, and then finds the invoice finalized and marks its month late (Metering.usageChanged).
    const accountIds = [...new Set(drafts.map((draft) => draft.invoice.accountId))];
    await this.invoices.lockUsage(tx, accountIds);
    const usage = await this.invoices.usageChanges(tx, accountIds);
    const changed = drafts.find((draft) => usage.get(draft.invoice.accountId) !== draft.rated.usageChanges);
    if (changed) throw new ConcurrencyError(invoiceStreamId(changed.invoice.id), changed.version, null);
    const issuerId = drafts[0].invoice.issuerId;
    const year = new Date().getUTCFullYear();
    let taken: TakenNumber;
    try {
      taken = await this.invoices.freezeLinesAndTakeNumbers(tx, drafts.map(({ invoice, rated }) => ({ invoiceId: invoice.id, lines: rated.lines })), issuerId, year);
    } catch (error) {
      // A concurrent finalize of one of them wrote its lines first: decide again on what it did.
      if (isUniqueViolation(error)) throw new ConcurrencyError(invoiceStreamId(drafts[0].invoice.id), drafts[0].version, null);
      throw error;
    }
    const first = taken.last - drafts.length + 1;
    const appends = drafts.map(({ invoice, state, version, rated, at, metadata }, i) => {
      const command: InvoiceCommand = {
        type: 'FinalizeInvoice', number: documentNumber(issuerId, 'INV', year, { ...taken, last: first + i }),
        subtotal: rated.subtotal, tax: rated.tax, total: rated.total, lineCount: rated.lines.length, at,
      };
      return { streamId: invoiceStreamId(invoice.id), expectedVersion: version, metadata, events: invoiceDecider.decide(command, state) };
    });
    const recorded = await this.store.appendToStreams(appends, { metadata: drafts[0].metadata, tx });
    return drafts.map(({ invoice, rated }, i) => {
      const { data, occurredAt } = recorded[i] as RecordedEvent<Extract<InvoiceEvent, { type: 'InvoiceFinalized' }>>;
      afterCommit(tx, () => this.metrics.finalized(data.currency, data.total));
      // As the projection has it now.
      return finalizedView({ ...invoice, status: 'FINALIZED', number: data.number, subtotal: data.subtotal, tax: data.tax, total: data.total, issuedAt: new Date(occurredAt) }, rated.lines);
    });
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
