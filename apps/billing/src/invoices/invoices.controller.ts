import { Controller } from '@nestjs/common';
import { Payload } from '@nestjs/microservices';
import { AppError, type RequestOf } from '#libs/contracts';
import { Handles, isPlatformWide, metadataOf, scopeOf } from '#libs/messaging';
import { parseMonth } from './calendar.js';
import { InvoiceFinalization } from './invoice-finalization.js';
import { InvoiceQueries } from './invoice-queries.js';
import { MonthClose } from './month-close.js';

/** `billing.invoice.*` and `billing.creditNote.issue` for the gateway; the caller's scope is the accounts it may see. */
@Controller()
export class InvoicesController {
  constructor(
    private readonly queries: InvoiceQueries,
    private readonly finalization: InvoiceFinalization,
    private readonly monthClose: MonthClose,
  ) {}

  @Handles('billing.invoice.upcoming')
  upcoming(@Payload() payload: RequestOf<'billing.invoice.upcoming'>) {
    return this.queries.upcoming(payload?.accountId, scopeOf(payload));
  }

  @Handles('billing.resource.costsToDate')
  costsToDate(@Payload() payload: RequestOf<'billing.resource.costsToDate'>) {
    return this.queries.costsToDate(payload?.resourceIds, scopeOf(payload));
  }

  @Handles('billing.invoice.get')
  get(@Payload() payload: RequestOf<'billing.invoice.get'>) {
    return this.queries.get(payload?.id, scopeOf(payload));
  }

  @Handles('billing.invoice.list')
  list(@Payload() payload: RequestOf<'billing.invoice.list'>) {
    return this.queries.list(payload, scopeOf(payload));
  }

  @Handles('billing.invoice.finalize')
  finalize(@Payload() payload: RequestOf<'billing.invoice.finalize'>) {
    return this.finalization.finalize(payload?.id, scopeOf(payload), metadataOf(payload));
  }

  @Handles('billing.invoice.markPaid')
  markPaid(@Payload() payload: RequestOf<'billing.invoice.markPaid'>) {
    return this.finalization.markPaid(payload?.id, payload?.reference, scopeOf(payload), metadataOf(payload));
  }

  @Handles('billing.invoice.void')
  void(@Payload() payload: RequestOf<'billing.invoice.void'>) {
    return this.finalization.void(payload?.id, payload?.reason, scopeOf(payload), metadataOf(payload));
  }

  @Handles('billing.creditNote.issue')
  issueCreditNote(@Payload() payload: RequestOf<'billing.creditNote.issue'>) {
    return this.finalization.issueCreditNote(payload?.input, scopeOf(payload), metadataOf(payload));
  }

  @Handles('billing.invoice.csv')
  async csv(@Payload() payload: RequestOf<'billing.invoice.csv'>) {
    return { csv: await this.queries.csv(payload?.id, scopeOf(payload)) };
  }

  @Handles('billing.invoice.monthIds')
  async monthIds(@Payload() payload: RequestOf<'billing.invoice.monthIds'>) {
    return { ids: await this.queries.monthIds(payload?.month, scopeOf(payload)) };
  }

  @Handles('billing.invoice.csvRows')
  async csvRows(@Payload() payload: RequestOf<'billing.invoice.csvRows'>) {
    return { csv: await this.queries.csvRows(payload?.ids, payload?.header, scopeOf(payload)) };
  }

  /** The month-close job on demand (an operator, or a test); the job runs it by itself once a month has ended. */
  @Handles('billing.invoice.closeMonth')
  closeMonth(@Payload() payload: RequestOf<'billing.invoice.closeMonth'>) {
    if (!isPlatformWide(scopeOf(payload))) throw new AppError('FORBIDDEN', 'only ADMIN closes a month');
    return this.monthClose.closeMonth(parseMonth(payload?.month, 'month'), metadataOf(payload));
  }
}
