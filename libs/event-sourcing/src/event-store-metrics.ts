import type { OnApplicationShutdown } from '@nestjs/common';
import type { NatsConnection } from '@nats-io/transport-node';
import type pg from 'pg';
import { readConsumerBacklog, readDeadLetters, readRelayBacklog, type EventStore } from '#libs/event-store';
import { SCRAPE_TIMEOUT_MS, ScrapeReading, scrapedGauge } from '#libs/metrics';
import type { ServiceConsumers } from './service-consumers.js';

const poolConnections = scrapedGauge<'state'>({
  name: 'awan_db_pool_connections',
  help: "Connections of the service's PostgreSQL pool, in use (checked out) or idle.",
  labelNames: ['state'],
});
const poolMax = scrapedGauge({ name: 'awan_db_pool_max_connections', help: "The most connections the service's pool keeps (DATABASE_POOL_SIZE)." });
const poolWaiting = scrapedGauge({ name: 'awan_db_pool_waiting_requests', help: "Requests waiting for a connection of the service's pool." });
const relayUnpublished = scrapedGauge({ name: 'awan_relay_unpublished_events', help: 'Events appended and not yet published to JetStream by the service\'s relay.' });
const relayOldest = scrapedGauge({ name: 'awan_relay_oldest_unpublished_age_seconds', help: 'How long the oldest event the relay has yet to publish has waited (0 when none).' });
const consumerPending = scrapedGauge<'consumer' | 'source'>({
  name: 'awan_consumer_pending_messages',
  help: "Events of its source's stream not yet delivered to the consumer (JetStream's num_pending).",
  labelNames: ['consumer', 'source'],
});
const consumerAckPending = scrapedGauge<'consumer' | 'source'>({
  name: 'awan_consumer_ack_pending_messages',
  help: 'Events delivered to the consumer and not yet acknowledged: being handled, or waiting out a retry.',
  labelNames: ['consumer', 'source'],
});
const consumerRedelivered = scrapedGauge<'consumer' | 'source'>({
  name: 'awan_consumer_redelivered_messages',
  help: 'Events unacknowledged that were delivered to the consumer more than once (failing, or slow).',
  labelNames: ['consumer', 'source'],
});
const deadLetters = scrapedGauge<'consumer'>({
  name: 'awan_consumer_dead_letters',
  help: "Events the consumer gave up on, held in its service's dead-letter stream for an operator.",
  labelNames: ['consumer'],
});

/**
 * The event store's figures, read when scraped: the pool's connections (held in memory), the
 * relay's backlog (one query) and the consumers' (JetStream's consumer info, and the dead-letter
 * stream's count per consumer), each bounded.
 */
export class EventStoreMetrics implements OnApplicationShutdown {
  private readonly removals: (() => void)[];

  constructor(pool: pg.Pool, store: EventStore, consumers: ServiceConsumers, nats: NatsConnection, service: string) {
    const relay = new ScrapeReading(`${service}-relay`, () => readRelayBacklog(store, `${service}-relay`, SCRAPE_TIMEOUT_MS));
    const backlog = new ScrapeReading(`${service}-consumers`, async () => {
      const [each, dead] = await Promise.all([
        Promise.all(consumers.durables.map(async (durable) => ({ ...durable, ...(await readConsumerBacklog(nats, durable.source, durable.name)) }))),
        readDeadLetters(nats, service),
      ]);
      return { each, dead };
    });
    this.removals = [
      poolConnections.add((set) => {
        set({ state: 'in_use' }, pool.totalCount - pool.idleCount);
        set({ state: 'idle' }, pool.idleCount);
      }),
      poolMax.add((set) => set({}, pool.options.max ?? 10)),
      poolWaiting.add((set) => set({}, pool.waitingCount)),
      relayUnpublished.add(async (set) => {
        const figures = await relay.value();
        if (figures) set({}, figures.unpublished);
      }),
      relayOldest.add(async (set) => {
        const figures = await relay.value();
        if (figures) set({}, figures.oldestAgeSeconds);
      }),
      consumerPending.add(async (set) => (await backlog.value())?.each.forEach((c) => set({ consumer: c.name, source: c.source }, c.pending))),
      consumerAckPending.add(async (set) => (await backlog.value())?.each.forEach((c) => set({ consumer: c.name, source: c.source }, c.ackPending))),
      consumerRedelivered.add(async (set) => (await backlog.value())?.each.forEach((c) => set({ consumer: c.name, source: c.source }, c.redelivered))),
      deadLetters.add(async (set) => {
        const figures = await backlog.value();
        // Every consumer is shown, 0 where none of its events was given up on: an alert compares it with 0.
        if (figures) for (const { name } of consumers.durables) set({ consumer: name }, figures.dead.get(name) ?? 0);
      }),
    ];
  }

  onApplicationShutdown(): void {
    for (const remove of this.removals) remove();
  }
}
