import { SYSTEM_ACTOR, type EventEnvelope, type NetworkEvents } from '#libs/contracts';
import { handleCommand, type EventStore } from '#libs/event-store';
import { instanceDecider, instanceStreamId, type InstanceCommand } from './instance.decider.js';

/** Network's events that answer an instance's request for addresses. */
export const ADDRESSING_EVENT_TYPES = ['InstanceAddressesAllocated', 'InstanceAddressingFailed'] as const;

/**
 * Hands network's answer, as network recorded it, to the instance: its addresses, or the reason
 * there are none, which fails the create. The provisioner records the same answer from network's
 * reply to its request and creates the instance at once; whichever is recorded first counts, the
 * other changes nothing (the decider: an answer for an instance that no longer waits for one).
 */
export async function recordInstanceAddresses(store: EventStore, event: EventEnvelope): Promise<void> {
  const command: InstanceCommand =
    event.type === 'InstanceAddressesAllocated'
      ? { type: 'AssignAddresses', addresses: (event.data as NetworkEvents['InstanceAddressesAllocated']).addresses }
      : { type: 'FailAddressing', reason: (event.data as NetworkEvents['InstanceAddressingFailed']).reason };
  const { instanceId } = event.data as { instanceId: string };
  await handleCommand(store, instanceStreamId(instanceId), instanceDecider, command, {
    correlationId: event.metadata.correlationId, causationId: event.eventId, actor: SYSTEM_ACTOR,
  });
}
