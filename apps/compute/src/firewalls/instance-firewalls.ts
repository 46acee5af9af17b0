import { AppError, type InstanceFirewallEvents } from '#libs/contracts';
import type { DomainEvent } from '#libs/event-store';
import type { InstanceState } from '../instances/instance.decider.js';

/**
 * The firewall part of an instance's decider. Firewalls are network's (stream `firewall-<id>`); each
 * attach and detach network records is also a fact of the instance's history, so its account sees
 * what guarded it when. They change nothing else: not its status, not the operation under way, and
 * are recorded whatever the instance became (a detach because it was deleted comes after its end).
 */
export type InstanceFirewallEvent = { [T in keyof InstanceFirewallEvents]: DomainEvent<T, InstanceFirewallEvents[T]> }[keyof InstanceFirewallEvents];

export const INSTANCE_FIREWALL_EVENT_TYPES = ['InstanceFirewallAttached', 'InstanceFirewallDetached'] as const satisfies readonly InstanceFirewallEvent['type'][];

/** Network's FirewallAttached and FirewallDetached, as the instance records them. */
export type InstanceFirewallCommand =
  | ({ type: 'RecordFirewallAttached' } & InstanceFirewallEvents['InstanceFirewallAttached'])
  | ({ type: 'RecordFirewallDetached' } & InstanceFirewallEvents['InstanceFirewallDetached']);

/** The firewalls attached to the instance, their names by id; a state stored before firewalls has none. */
export const firewallsOf = (state: InstanceState): Record<string, string> => state.firewalls ?? {};

/**
 * Each attach once while attached, each detach once after its attach: a redelivered attach records
 * nothing more (the consumer's inbox drops a redelivered detach). A detach that comes before its
 * attach (handled first by another replica, or while the attach waits to be retried) is refused, so
 * it is retried after it: recorded first, the attach would then leave the firewall attached for good.
 */
export function decideFirewall(command: InstanceFirewallCommand, state: InstanceState): InstanceFirewallEvent[] {
  const attached = command.firewallId in firewallsOf(state);
  switch (command.type) {
    case 'RecordFirewallAttached':
      return attached ? [] : [{ type: 'InstanceFirewallAttached', data: { firewallId: command.firewallId, name: command.name } }];
    case 'RecordFirewallDetached':
      if (!attached) throw AppError.conflict(`firewall ${command.firewallId} is not attached to the instance yet: its attach is recorded first`);
      return [{ type: 'InstanceFirewallDetached', data: { firewallId: command.firewallId, name: command.name, reason: command.reason } }];
  }
}

/** `state` is the instance after the event, its version counted: only its attached firewalls change. */
export function evolveFirewalls(state: InstanceState, event: InstanceFirewallEvent): InstanceState {
  const { [event.data.firewallId]: _detached, ...others } = firewallsOf(state);
  return { ...state, firewalls: event.type === 'InstanceFirewallAttached' ? { ...others, [event.data.firewallId]: event.data.name } : others };
}
