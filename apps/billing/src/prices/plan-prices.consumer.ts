import { Injectable, Logger } from '@nestjs/common';
import type { CatalogEvents, EventEnvelope, EventMetadata } from '#libs/contracts';
import { decideInTransaction, EventStore, readState, type Sql } from '#libs/event-store';
import { ServiceConsumers } from '#libs/event-sourcing';
import { formatScaled, parseDecimal } from '../money/money.js';
import { PLATFORM, priceListDecider, priceListStreamId } from './price-list.decider.js';
import { ensureStoragePrices } from './storage-prices.js';

/**
 * The platform's price of a plan in each currency, as compute's PlanSaved says: the plan and its
 * prices are saved together, so they cannot disagree. Each is a PriceSet of the platform's list
 * in that currency, in force from when it is recorded; a currency the save leaves out keeps its
 * price (instances billed in it go on being rated). Stopped prices set for the plan stay where both
 * are set: a pair holds by itself, while a single one falls back on prices that just changed.
 */
export async function recordPlanPrices(store: EventStore, event: EventEnvelope<'PlanSaved', CatalogEvents['PlanSaved']>, tx: Sql): Promise<void> {
  const metadata: EventMetadata = { correlationId: event.metadata.correlationId, causationId: event.eventId, actor: event.metadata.actor };
  const { planId, prices } = event.data;
  for (const { currency, hourlyPrice, monthlyPrice } of prices) {
    const streamId = priceListStreamId(PLATFORM, currency);
    const { state } = await readState(store, streamId, priceListDecider, tx);
    const earlier = state.prices[planId];
    const stopped = earlier?.stoppedHourly && earlier.stoppedMonthly ? earlier : null;
    const price = {
      hourly: formatScaled(parseDecimal(hourlyPrice, 'hourlyPrice')),
      monthly: formatScaled(parseDecimal(monthlyPrice, 'monthlyPrice')),
      stoppedHourly: stopped?.stoppedHourly ?? null,
      stoppedMonthly: stopped?.stoppedMonthly ?? null,
    };
    await decideInTransaction(store, tx, streamId, priceListDecider, { type: 'SetPrice', ownerId: PLATFORM, currency, sku: planId, price }, metadata);
    // A currency the platform now prices plans in prices storage too.
    await ensureStoragePrices(store, tx, currency, metadata);
  }
}

/** Billing's durable consumer of compute's plan events. */
@Injectable()
export class PlanPricesConsumer {
  constructor(consumers: ServiceConsumers, store: EventStore) {
    consumers.add({
      name: 'billing-plan-prices',
      source: 'compute',
      filterSubject: 'events.compute.plan.>',
      eventTypes: ['PlanSaved'],
      handle: (event, tx) => recordPlanPrices(store, event as EventEnvelope<'PlanSaved', CatalogEvents['PlanSaved']>, tx),
      // One at a time: two plans saved together would otherwise race for the same price list's next version.
      concurrency: 1,
      maxDeliver: 50,
      backoffMs: [500, 1000, 5000, 10_000, 30_000],
      logger: new Logger('prices'),
    });
  }
}
