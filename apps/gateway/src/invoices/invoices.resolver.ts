import { Args, Context, ID, Int, Mutation, Parent, Query, ResolveField, Resolver } from '@nestjs/graphql';
import { AppError, isInvoiceId, PLATFORM_ISSUER, type CreditNoteView, type InvoiceView, type RequestOf } from '#libs/contracts';
import { inScope } from '#libs/messaging';
import { Account } from '../accounts/account.model.js';
import { InvoiceStatus } from '../graphql/enums.js';
import { callerOf, requireRole, viewerOf, type GatewayContext } from '../graphql/gateway-context.js';
import { GatewayServiceClient } from '../graphql/service-calls.js';
import type { AccountView, Viewer } from '../identity/identity.js';
import { CreditNote, Invoice, InvoiceConnection, IssueCreditNoteInput } from './invoice.model.js';

/** How long billing has to answer a change to an invoice: a finalize freezes every line. */
const CHANGE_TIMEOUT_MS = 30_000;
/** How long billing has to rate an upcoming invoice live. */
const RATING_TIMEOUT_MS = 15_000;

/** The changes finance makes to an invoice its account issued. */
type InvoiceChange = 'billing.invoice.finalize' | 'billing.invoice.markPaid' | 'billing.invoice.void';

interface Money {
  amount: string;
  currency: string;
}
type CreditNoteNode = Omit<CreditNoteView, 'amount'> & { amount: Money; invoice?: InvoiceNode };
type InvoiceNode = Omit<InvoiceView, 'subtotal' | 'tax' | 'total' | 'lines' | 'creditNotes'> & {
  subtotal: Money;
  tax: Money;
  total: Money;
  lines: (Omit<InvoiceView['lines'][number], 'unitPrice' | 'amount'> & { unitPrice: Money; amount: Money })[];
  creditNotes: CreditNoteNode[];
};

/** Billing's view in the contract's shape: amounts as Money, each credit note knowing its invoice. */
function toInvoice(view: InvoiceView): InvoiceNode {
  const money = (amount: string) => ({ amount, currency: view.currency });
  const invoice: InvoiceNode = {
    ...view,
    subtotal: money(view.subtotal),
    tax: money(view.tax),
    total: money(view.total),
    lines: view.lines.map((line) => ({ ...line, unitPrice: money(line.unitPrice), amount: money(line.amount) })),
    creditNotes: [],
  };
  invoice.creditNotes = view.creditNotes.map((note) => toCreditNote(note, invoice));
  return invoice;
}

function toCreditNote(view: CreditNoteView, invoice?: InvoiceNode): CreditNoteNode {
  return { ...view, amount: { amount: view.amount, currency: view.currency }, invoice };
}

/** Finance changes the invoices its own account issues: the platform's finance the platform's, a reseller's its customers'. ADMIN any. */
function requireIssuer(viewer: Viewer, invoice: InvoiceView): void {
  if (viewer.role === 'ADMIN') return;
  const issuer = viewer.accountKind === 'PLATFORM' ? PLATFORM_ISSUER : viewer.accountId;
  if (invoice.issuerId !== issuer) throw new AppError('FORBIDDEN', 'finance changes only the invoices its own account issues');
}

@Resolver(() => Invoice)
export class InvoicesResolver {
  constructor(private readonly client: GatewayServiceClient) {}

  @Query(() => Invoice, { nullable: true })
  async invoice(@Args('id', { type: () => ID }) id: string, @Context() context: GatewayContext): Promise<InvoiceNode | null> {
    try {
      return toInvoice(await this.client.call('billing.invoice.get', { ...callerOf(context), id }));
    } catch (error) {
      if (error instanceof AppError && error.code === 'NOT_FOUND') return null;
      throw error;
    }
  }

  @Query(() => InvoiceConnection, { description: 'without accountId: every invoice the caller may see' })
  async invoices(
    @Context() context: GatewayContext,
    @Args('first', { type: () => Int, nullable: true }) first?: number,
    @Args('after', { type: () => String, nullable: true }) after?: string,
    @Args('accountId', { type: () => ID, nullable: true }) accountId?: string,
    @Args('status', { type: () => InvoiceStatus, nullable: true }) status?: InvoiceStatus,
  ) {
    const caller = callerOf(context);
    if (accountId && !inScope(accountId, caller)) throw AppError.notFound(`account ${accountId}`);
    const page = await this.client.call('billing.invoice.list', { ...caller, first, after, accountId, status });
    return { ...page, edges: page.edges.map((edge) => ({ ...edge, node: toInvoice(edge.node) })) };
  }

  @Query(() => Invoice, { description: "the current period's invoice as it stands now, rated from usage to date; without accountId, the caller's own" })
  async upcomingInvoice(@Context() context: GatewayContext, @Args('accountId', { type: () => ID, nullable: true }) accountId?: string) {
    const caller = callerOf(context);
    return toInvoice(await this.client.call('billing.invoice.upcoming', { ...caller, accountId: accountId ?? viewerOf(context).accountId }, RATING_TIMEOUT_MS));
  }

  @Mutation(() => Invoice)
  finalizeInvoice(@Args('id', { type: () => ID }) id: string, @Context() context: GatewayContext) {
    return this.change(context, 'billing.invoice.finalize', { ...callerOf(context), id });
  }

  @Mutation(() => Invoice, { description: "for payments received outside Stripe (bank transfer); reference is the payment's own id" })
  markInvoicePaid(@Args('id', { type: () => ID }) id: string, @Args('reference') reference: string, @Context() context: GatewayContext) {
    return this.change(context, 'billing.invoice.markPaid', { ...callerOf(context), id, reference });
  }

  @Mutation(() => Invoice)
  voidInvoice(@Args('id', { type: () => ID }) id: string, @Args('reason') reason: string, @Context() context: GatewayContext) {
    return this.change(context, 'billing.invoice.void', { ...callerOf(context), id, reason });
  }

  @Mutation(() => CreditNote)
  async issueCreditNote(@Args('input') input: IssueCreditNoteInput, @Context() context: GatewayContext) {
    // Its invoice is read first, for its issuer: an id that cannot be one is refused naming this input's field.
    if (!isInvoiceId(input.invoiceId)) throw AppError.badInput('input.invoiceId', 'must be an invoice id');
    await this.issuedBy(context, input.invoiceId);
    return toCreditNote(await this.client.call('billing.creditNote.issue', { ...callerOf(context), input }));
  }

  @ResolveField(() => Account)
  async account(@Parent() invoice: InvoiceNode, @Context() context: GatewayContext): Promise<AccountView> {
    return (await context.loaders.accounts.load(invoice.accountId))!;
  }

  /** The invoice, or NOT_FOUND; FORBIDDEN unless the caller is finance (or ADMIN) of its issuer. */
  private async issuedBy(context: GatewayContext, id: string): Promise<void> {
    const viewer = requireRole(context, ['ADMIN', 'FINANCE'], 'change invoices');
    requireIssuer(viewer, await this.client.call('billing.invoice.get', { ...callerOf(context), id }));
  }

  private async change<S extends InvoiceChange>(context: GatewayContext, subject: S, request: RequestOf<S>): Promise<InvoiceNode> {
    await this.issuedBy(context, request.id);
    return toInvoice(await this.client.call(subject, request, CHANGE_TIMEOUT_MS));
  }
}

@Resolver(() => CreditNote)
export class CreditNotesResolver {
  constructor(private readonly client: GatewayServiceClient) {}

  @ResolveField(() => Invoice)
  async invoice(@Parent() note: CreditNoteNode, @Context() context: GatewayContext): Promise<InvoiceNode> {
    return note.invoice ?? toInvoice(await this.client.call('billing.invoice.get', { ...callerOf(context), id: note.invoiceId }));
  }
}
