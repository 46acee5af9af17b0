import { Injectable, Logger, type OnApplicationBootstrap, type OnApplicationShutdown } from '@nestjs/common';
import { randomUUID } from 'node:crypto';
import { SYSTEM_ACTOR } from '#libs/contracts';
import { readWholeNumber } from '#libs/platform';
import { Invoices } from './invoices.js';

/** How long after a month ends its drafts are made: late events have time to arrive. */
const closeAfterSeconds = () => readWholeNumber('INVOICE_CLOSE_AFTER_MINUTES', 60, { expected: 'a number of minutes' }) * 60;
/** How long an account stays PAST_DUE before it is suspended (7 days). */
const graceSeconds = () => readWholeNumber('DUNNING_GRACE_SECONDS', 7 * 24 * 3600, { expected: 'a number of seconds' });
const intervalMs = () => readWholeNumber('BILLING_JOB_INTERVAL_MS', 60_000, { expected: 'a number of milliseconds', min: 100 });

/** The month close and the dunning clock, in every replica: both are idempotent. */
@Injectable()
export class BillingJobs implements OnApplicationBootstrap, OnApplicationShutdown {
  private readonly logger = new Logger('billing-jobs');
  private timer: NodeJS.Timeout | undefined;
  private running: Promise<void> | undefined;
  private readonly closeAfter = closeAfterSeconds();
  private readonly grace = graceSeconds();

  constructor(private readonly invoices: Invoices) {}

  onApplicationBootstrap(): void {
    this.timer = setInterval(() => (this.running ??= this.run().finally(() => (this.running = undefined))), intervalMs());
  }

  async onApplicationShutdown(): Promise<void> {
    clearInterval(this.timer);
    await this.running;
  }

  private async run(): Promise<void> {
    const metadata = () => ({ correlationId: randomUUID(), causationId: null, actor: SYSTEM_ACTOR });
    try {
      for (const month of await this.invoices.monthsToClose(this.closeAfter)) {
        const { drafted, unknownAccounts } = await this.invoices.closeMonth(month, metadata());
        this.logger.log(`closed ${new Date(month.start * 1000).toISOString().slice(0, 7)}: ${drafted} drafts`);
        if (unknownAccounts.length > 0) this.logger.warn(`usage of accounts billing has not heard of, not drafted yet: ${unknownAccounts.join(', ')}`);
      }
      for (const accountId of await this.invoices.suspendOverdue(new Date(), this.grace, metadata())) this.logger.warn(`account ${accountId} suspended: unpaid past the grace period`);
    } catch (error) {
      this.logger.error(`billing jobs failed: ${(error as Error).message}`);
    }
  }
}
