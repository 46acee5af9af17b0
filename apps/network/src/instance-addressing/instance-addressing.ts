import { AppError, type ComputeEvents, type EventEnvelope, type EventMetadata, type InstanceAddress, type IpFamily, SYSTEM_ACTOR } from '#libs/contracts';
import { readState, type EventStore, type Sql } from '#libs/event-store';
import type { Firewalls } from '../firewalls/firewalls.js';
import type { InstanceFilters } from '../firewalls/instance-filters.js';
import type { Ips } from '../ips/ips.js';
import { instanceAddressingDecider, instanceAddressingStreamId, type InstanceAddressingEvent } from './instance-addressing.decider.js';
import type { InstancesRepository } from './instances.repository.js';

/** Compute's events this consumer acts on. */
export const ADDRESSED_EVENT_TYPES = ['InstanceRequested', 'InstanceStarted', 'InstanceFailed', 'InstanceDeleted'] as const;

const FAMILIES: readonly IpFamily[] = ['IPV4', 'IPV6'];

/**
 * Gives every instance compute creates its IPv4 and IPv6 and takes them back when the instance
 * is deleted or fails before it ever ran. Reads compute's instance events (durable consumer,
 * inbox), and keeps the little it needs to know of instances for floating IPs, DNS and
 * firewalls; an instance that ends loses its firewalls too.
 */
export class InstanceAddressing {
  constructor(
    private readonly store: EventStore,
    private readonly instances: InstancesRepository,
    private readonly ips: Ips,
    private readonly firewalls: Firewalls,
    private readonly filters: InstanceFilters,
  ) {}

  async handle(event: EventEnvelope, tx: Sql): Promise<void> {
    const instanceId = event.streamId.slice('instance-'.length);
    const metadata: EventMetadata = { correlationId: event.metadata.correlationId, causationId: event.eventId, actor: SYSTEM_ACTOR };
    switch (event.type) {
      case 'InstanceRequested':
        await this.address(event.data as ComputeEvents['InstanceRequested'], tx, metadata);
        return;
      case 'InstanceStarted':
        await this.instances.markStarted(tx, instanceId);
        return;
      case 'InstanceFailed':
      case 'InstanceDeleted':
        // An instance that ran and then failed is still on its host with its addresses, until it is deleted.
        if (event.type === 'InstanceFailed' && (await this.instances.hasStarted(tx, instanceId))) return;
        await this.instances.markEnded(tx, instanceId, event.occurredAt);
        await this.ips.releaseInstance(tx, instanceId, metadata);
        await this.firewalls.detachInstance(tx, instanceId, metadata);
    }
  }

  /**
   * Both addresses or neither, in the consumer's transaction: a pool that has run out rolls back
   * what the other family took, and the instance gets the reason instead.
   */
  private async address(request: ComputeEvents['InstanceRequested'], tx: Sql, metadata: EventMetadata): Promise<void> {
    await this.instances.record(tx, request);
    const streamId = instanceAddressingStreamId(request.instanceId);
    const { state } = await readState(this.store, streamId, instanceAddressingDecider, tx);
    if (state.outcome !== null) return; // answered before this delivery
    let events: InstanceAddressingEvent[];
    await tx.query('SAVEPOINT addressing');
    try {
      const addresses: InstanceAddress[] = [];
      for (const family of FAMILIES) {
        const ip = await this.ips.allocateIn(tx, { regionId: request.regionId, family, accountId: request.accountId, instanceId: request.instanceId, floating: false }, metadata);
        addresses.push({ ipId: ip.ipId, family, address: ip.address, prefixLength: ip.prefixLength, gateway: ip.gateway, bridge: ip.bridge });
      }
      events = instanceAddressingDecider.decide({ type: 'RecordAddresses', instanceId: request.instanceId, addresses }, state);
      await this.filters.changed(tx, [request.instanceId], metadata); // the only addresses its host lets it send from
    } catch (error) {
      if (!(error instanceof AppError)) throw error;
      await tx.query('ROLLBACK TO SAVEPOINT addressing');
      events = instanceAddressingDecider.decide({ type: 'RecordFailure', instanceId: request.instanceId, reason: error.message }, state);
    }
    // Version 0: should another delivery answer first, this transaction fails and gives back what it claimed.
    await this.store.append(streamId, events, { expectedVersion: 0, metadata, tx });
  }
}
