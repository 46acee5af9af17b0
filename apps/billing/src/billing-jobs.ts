import { Inject, Injectable, Logger, type OnApplicationBootstrap, type OnApplicationShutdown } from '@nestjs/common';
import { randomUUID } from 'node:crypto';
import { SYSTEM_ACTOR } from '#libs/contracts';
import { Leaderships, type LedRounds } from '#libs/event-sourcing';
import { Dunning } from './accounts/dunning.js';
import { BILLING_CONFIG, type BillingConfig } from './billing.config.js';
import { MonthClose } from './invoices/month-close.js';

/**
 * The month close and the dunning clock, every BILLING_JOB_INTERVAL_MS, on the one replica that
 * leads billing's `jobs`. Both are idempotent besides, so a round a replica began before it lost
 * the lead changes nothing twice (an invoice's id is its account's and month's, a suspension its
 * account's decider's, each appended at the version decided on).
 */
@Injectable()
export class BillingJobs implements OnApplicationBootstrap, OnApplicationShutdown {
  private readonly logger = new Logger('billing-jobs');
  private readonly rounds: LedRounds;

  constructor(
    @Inject(BILLING_CONFIG) private readonly config: BillingConfig,
    private readonly monthClose: MonthClose,
    private readonly dunning: Dunning,
    leaderships: Leaderships,
  ) {
    this.rounds = leaderships.rounds('jobs', config.jobIntervalMs, this.logger, 'billing jobs', () => this.run());
  }

  onApplicationBootstrap(): void {
    this.rounds.start();
  }

  onApplicationShutdown(): Promise<void> {
    return this.rounds.stop();
  }

  /** The suspensions it decides are logged as billing's facts (BillingFacts). */
  private async run(): Promise<void> {
    const metadata = () => ({ correlationId: randomUUID(), causationId: null, actor: SYSTEM_ACTOR });
    for (const month of await this.monthClose.monthsToClose(this.config.invoiceCloseAfterSeconds)) {
      const { drafted, unknownAccounts } = await this.monthClose.closeMonth(month, metadata());
      this.logger.log(`closed ${new Date(month.start * 1000).toISOString().slice(0, 7)}: ${drafted} drafts`);
      if (unknownAccounts.length > 0) this.logger.warn(`usage of accounts billing has not heard of, not drafted yet: ${unknownAccounts.join(', ')}`);
    }
    await this.dunning.suspendOverdue(new Date(), this.config.dunningGraceSeconds, metadata());
  }
}
