import type { EventEnvelope, FirewallEvents } from '#libs/contracts';
import { decideInTransaction, type EventStore, type Sql } from '#libs/event-store';
import { instanceDecider, instanceStreamId, type InstanceCommand } from '../instances/instance.decider.js';

/** Network's firewall events that the instance's history records. */
export const FIREWALL_HISTORY_EVENT_TYPES = ['FirewallAttached', 'FirewallDetached'] as const;

/**
 * Records a firewall attached to an instance, or detached from it, on the instance's stream, in the
 * consumer's transaction with its inbox record (once per event), as done by whoever asked network.
 */
export async function recordFirewallChange(store: EventStore, event: EventEnvelope, tx: Sql): Promise<void> {
  const { firewallId, instanceId, name } = event.data as FirewallEvents['FirewallAttached'];
  const command: InstanceCommand =
    event.type === 'FirewallAttached'
      ? { type: 'RecordFirewallAttached', firewallId, name }
      : { type: 'RecordFirewallDetached', firewallId, name, reason: (event.data as FirewallEvents['FirewallDetached']).reason };
  await decideInTransaction(store, tx, instanceStreamId(instanceId), instanceDecider, command, { ...event.metadata, causationId: event.eventId });
}
