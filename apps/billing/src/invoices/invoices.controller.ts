import { Controller } from '@nestjs/common';
import { MessagePattern, Payload } from '@nestjs/microservices';
import { AppError, type Caller } from '#libs/contracts';
import { isPlatformWide, metadataOf, scopeOf } from '#libs/messaging';
import { Invoices, parseMonth, type InvoiceListFilter } from './invoices.js';

type ById = Caller & { id: string };

/** `billing.invoice.*` and `billing.creditNote.issue` for the gateway; the caller's scope is the accounts it may see. */
@Controller()
export class InvoicesController {
  constructor(private readonly invoices: Invoices) {}

  @MessagePattern('billing.invoice.upcoming')
  upcoming(@Payload() payload: Caller & { accountId: string }) {
    return this.invoices.upcoming(payload?.accountId, scopeOf(payload));
  }

  @MessagePattern('billing.resource.costsToDate')
  costsToDate(@Payload() payload: Caller & { resourceIds: string[] }) {
    return this.invoices.costsToDate(payload?.resourceIds, scopeOf(payload));
  }

  @MessagePattern('billing.invoice.get')
  get(@Payload() payload: ById) {
    return this.invoices.get(payload?.id, scopeOf(payload));
  }

  @MessagePattern('billing.invoice.list')
  list(@Payload() payload: InvoiceListFilter) {
    return this.invoices.list({ ...payload, ...scopeOf(payload) });
  }

  @MessagePattern('billing.invoice.finalize')
  finalize(@Payload() payload: ById) {
    return this.invoices.finalize(payload?.id, scopeOf(payload), metadataOf(payload));
  }

  @MessagePattern('billing.invoice.markPaid')
  markPaid(@Payload() payload: ById & { reference: string }) {
    return this.invoices.markPaid(payload?.id, payload?.reference, scopeOf(payload), metadataOf(payload));
  }

  @MessagePattern('billing.invoice.void')
  void(@Payload() payload: ById & { reason: string }) {
    return this.invoices.void(payload?.id, payload?.reason, scopeOf(payload), metadataOf(payload));
  }

  @MessagePattern('billing.creditNote.issue')
  issueCreditNote(@Payload() payload: Caller & { input: { invoiceId: string; amount: string; reason: string } }) {
    return this.invoices.issueCreditNote(payload?.input, scopeOf(payload), metadataOf(payload));
  }

  @MessagePattern('billing.invoice.csv')
  async csv(@Payload() payload: ById) {
    return { csv: await this.invoices.csv(payload?.id, scopeOf(payload)) };
  }

  @MessagePattern('billing.invoice.csvOfMonth')
  async csvOfMonth(@Payload() payload: Caller & { month: string }) {
    return { csv: await this.invoices.csvOfMonth(payload?.month, scopeOf(payload)) };
  }

  /** The month-close job on demand (an operator, or a test); the job runs it by itself once a month has ended. */
  @MessagePattern('billing.invoice.closeMonth')
  closeMonth(@Payload() payload: Caller & { month: string }) {
    if (!isPlatformWide(scopeOf(payload))) throw new AppError('FORBIDDEN', 'only ADMIN closes a month');
    return this.invoices.closeMonth(parseMonth(payload?.month, 'month'), metadataOf(payload));
  }
}
