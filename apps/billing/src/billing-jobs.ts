import { Inject, Injectable, Logger, type OnApplicationBootstrap, type OnApplicationShutdown } from '@nestjs/common';
import { randomUUID } from 'node:crypto';
import { SYSTEM_ACTOR } from '#libs/contracts';
import { RecurringFailure } from '#libs/platform';
import { Dunning } from './accounts/dunning.js';
import { BILLING_CONFIG, type BillingConfig } from './billing.config.js';
import { MonthClose } from './invoices/month-close.js';

/**
 * The month close and the dunning clock, every BILLING_JOB_INTERVAL_MS in every replica, not led
 * (Leaderships): both are idempotent, so two replicas at once change nothing twice (an invoice's id
 * is its account's and month's, a suspension its account's decider's, each appended at the version decided on).
 */
@Injectable()
export class BillingJobs implements OnApplicationBootstrap, OnApplicationShutdown {
  private readonly logger = new Logger('billing-jobs');
  private readonly failures = new RecurringFailure(this.logger, 'billing jobs');
  private timer: NodeJS.Timeout | undefined;
  private running: Promise<void> | undefined;

  constructor(
    @Inject(BILLING_CONFIG) private readonly config: BillingConfig,
    private readonly monthClose: MonthClose,
    private readonly dunning: Dunning,
  ) {}

  onApplicationBootstrap(): void {
    this.timer = setInterval(() => (this.running ??= this.run().finally(() => (this.running = undefined))), this.config.jobIntervalMs);
  }

  async onApplicationShutdown(): Promise<void> {
    clearInterval(this.timer);
    await this.running;
  }

  /** The suspensions it decides are logged as billing's facts (BillingFacts). */
  private run(): Promise<void> {
    const metadata = () => ({ correlationId: randomUUID(), causationId: null, actor: SYSTEM_ACTOR });
    return this.failures.run(async () => {
      for (const month of await this.monthClose.monthsToClose(this.config.invoiceCloseAfterSeconds)) {
        const { drafted, unknownAccounts } = await this.monthClose.closeMonth(month, metadata());
        this.logger.log(`closed ${new Date(month.start * 1000).toISOString().slice(0, 7)}: ${drafted} drafts`);
        if (unknownAccounts.length > 0) this.logger.warn(`usage of accounts billing has not heard of, not drafted yet: ${unknownAccounts.join(', ')}`);
      }
      await this.dunning.suspendOverdue(new Date(), this.config.dunningGraceSeconds, metadata());
    });
  }
}
