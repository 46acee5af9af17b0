import type pg from 'pg';
import {
  AppError, type ComputeEvents, type EventEnvelope, type EventMetadata, type InstanceAddress, isRfc1123Label, isUuid, type ReplyOf,
  type RequestOf, SYSTEM_ACTOR,
} from '#libs/contracts';
import { withoutDeadline } from '#libs/deadlines';
import { withRetriedTransaction, type EventStore, type Sql } from '#libs/event-store';
import type { Firewalls } from '../firewalls/firewalls.js';
import type { InstanceFilters } from '../firewalls/instance-filters.js';
import { FAMILIES, type ClaimedAddress, type Ips } from '../ips/ips.js';
import { instanceAddressingDecider, instanceAddressingStreamId, type InstanceAddressingEvent } from './instance-addressing.decider.js';
import type { InstancesRepository } from './instances.repository.js';

/** Compute's events this consumer acts on. */
export const ADDRESSED_EVENT_TYPES = ['InstanceRequested', 'InstanceStarted', 'InstanceFailed', 'InstanceDeleted'] as const;

type AddressedInstance = RequestOf<'network.instance.address'>['instance'];

/**
 * Gives every instance compute creates its IPv4 and IPv6 when compute's provisioner asks for them
 * (network.instance.address: allocated once, the same answer when asked again), and takes them back
 * when the instance is deleted or fails before it ever ran. Reads compute's instance events (durable
 * consumer, inbox) to keep the little it needs to know of instances for floating IPs, DNS and
 * firewalls, and when each ends; an instance that ends loses its firewalls too. The lock on network's
 * row of the instance orders its allocation and its end: an instance that ended is given nothing,
 * and one that ends after has what it was given released.
 */
export class InstanceAddressing {
  constructor(
    private readonly pool: pg.Pool,
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
        await this.instances.record(tx, event.data as ComputeEvents['InstanceRequested']);
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
   * network.instance.address: the instance's addresses and its filter as network has it once they are
   * given, or why it has none. Given once, and that answer to every retry: so one given after its
   * caller stopped waiting is kept (withoutDeadline), and is the retry's answer.
   */
  address(request: RequestOf<'network.instance.address'>): Promise<ReplyOf<'network.instance.address'>> {
    return withoutDeadline(() => this.answerOnce(request));
  }

  private async answerOnce(request: RequestOf<'network.instance.address'>): Promise<ReplyOf<'network.instance.address'>> {
    const instance = validInstance(request?.instance);
    const metadata = request.metadata ?? { correlationId: instance.instanceId, causationId: null, actor: SYSTEM_ACTOR };
    const answer = await withRetriedTransaction(this.pool, (tx) => this.answer(tx, instance, metadata)).catch((error: unknown) => {
      // Busy or past its caller's deadline is no answer: the caller asks again.
      if (!(error instanceof AppError) || error.code === 'UNAVAILABLE') throw error;
      // What the first transaction claimed went with it: the reason is the answer, recorded in a second.
      return withRetriedTransaction(this.pool, (tx) => this.answer(tx, instance, metadata, error.message));
    });
    if (answer.type === 'InstanceAddressingFailed') return { addresses: null, reason: answer.data.reason };
    const [filter] = await this.filters.of([instance.instanceId]);
    return { addresses: answer.data.addresses, filter };
  }

  /**
   * Network's one answer for the instance, given now unless given before: both addresses, or the
   * `failure` the caller had on trying (a pool that ran out, an instance that ended).
   */
  private async answer(tx: Sql, instance: AddressedInstance, metadata: EventMetadata, failure?: string): Promise<InstanceAddressingEvent> {
    const { ended } = await this.instances.recordLocked(tx, instance);
    const streamId = instanceAddressingStreamId(instance.instanceId);
    const answered = await this.store.readStream(streamId, tx);
    if (answered.length > 0) return answered[0] as unknown as InstanceAddressingEvent;
    const state = instanceAddressingDecider.initialState();
    // Version 0: should another request answer first, this transaction fails, gives back what it claimed, and is run again.
    if (failure !== undefined) {
      const events = instanceAddressingDecider.decide({ type: 'RecordFailure', instanceId: instance.instanceId, reason: failure }, state);
      await this.store.append(streamId, events, { expectedVersion: 0, metadata, tx });
      return events[0];
    }
    if (ended) throw AppError.conflict(`instance ${instance.instanceId} ended before it was given addresses`);
    const claimed: ClaimedAddress[] = [];
    for (const family of FAMILIES) {
      claimed.push(await this.ips.claimIn(tx, { regionId: instance.regionId, family, accountId: instance.accountId, instanceId: instance.instanceId, floating: false }));
    }
    const addresses = claimed.map(({ allocation: ip, bridge }): InstanceAddress => ({
      ipId: ip.ipId, family: ip.family, address: ip.address, prefixLength: ip.prefixLength, gateway: ip.gateway, bridge,
    }));
    const events = instanceAddressingDecider.decide({ type: 'RecordAddresses', instanceId: instance.instanceId, addresses }, state);
    // The addresses, the instance's filter (the only addresses its host lets it send from) and the answer, in one statement.
    await this.store.appendToStreams([
      ...claimed.map(({ append }) => append),
      ...(await this.filters.changes(tx, [instance.instanceId])),
      { streamId, events, expectedVersion: 0 },
    ], { metadata, tx });
    return events[0];
  }
}

function validInstance(instance: AddressedInstance | undefined): AddressedInstance {
  if (!instance || typeof instance !== 'object') throw AppError.badInput('instance', 'is required');
  const { instanceId, accountId, regionId, name } = instance;
  if (!isUuid(instanceId)) throw AppError.badInput('instance.instanceId', 'must be an instance id');
  if (typeof accountId !== 'string' || !accountId) throw AppError.badInput('instance.accountId', 'is required');
  if (!isRfc1123Label(regionId)) throw AppError.badInput('instance.regionId', 'must be a region id');
  if (!isRfc1123Label(name)) throw AppError.badInput('instance.name', 'must be an RFC 1123 label');
  return { instanceId, accountId, regionId, name };
}
