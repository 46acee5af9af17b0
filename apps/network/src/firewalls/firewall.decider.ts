import { AppError, FIREWALLS_PER_INSTANCE, type FirewallEvents, type FirewallRule, isRfc1123Label, RFC1123_LABEL_RULE } from '#libs/contracts';
import type { Decider, DomainEvent } from '#libs/event-store';
import { sameRules, validateRules } from './firewall-rules.js';

export type FirewallEvent =
  | DomainEvent<'FirewallCreated', FirewallEvents['FirewallCreated']>
  | DomainEvent<'FirewallRulesSet', FirewallEvents['FirewallRulesSet']>
  | DomainEvent<'FirewallAttached', FirewallEvents['FirewallAttached']>
  | DomainEvent<'FirewallDetached', FirewallEvents['FirewallDetached']>
  | DomainEvent<'FirewallDeleted', FirewallEvents['FirewallDeleted']>;

/**
 * An instance a firewall is to be attached to, as network knows it when deciding: under a lock on
 * its row, so `firewalls` (how many it has attached now, all firewalls' streams together) holds.
 */
export interface AttachTarget {
  instanceId: string;
  /** Null: no instance network knows. */
  accountId: string | null;
  /** Deleted, or failed before it ever ran. */
  ended: boolean;
  firewalls: number;
}

export type FirewallCommand =
  /** `name` and `rules` as the API took them (`input.*`), checked here. */
  | { type: 'CreateFirewall'; firewallId: string; accountId: string; name: unknown; rules: unknown; instances: AttachTarget[] }
  | { type: 'SetFirewallRules'; rules: unknown }
  | { type: 'AttachFirewall'; instance: AttachTarget }
  | { type: 'DetachFirewall'; instanceId: string; reason: FirewallEvents['FirewallDetached']['reason'] }
  | { type: 'DeleteFirewall' };

export interface FirewallState {
  status: 'ACTIVE' | 'DELETED' | null;
  firewallId: string | null;
  accountId: string | null;
  name: string;
  rules: FirewallRule[];
  /** Attached now, in the order they were attached. */
  instanceIds: string[];
}

export const firewallStreamId = (firewallId: string) => `firewall-${firewallId}`;
export const firewallIdOf = (streamId: string) => streamId.slice('firewall-'.length);

/**
 * One firewall of an account: its rules, and the instances of that account it is attached to.
 * Another account's instance, or one that is gone, is NOT_FOUND; an instance holds at most
 * FIREWALLS_PER_INSTANCE; a firewall still attached is not deleted.
 */
export const firewallDecider: Decider<FirewallCommand, FirewallState, FirewallEvent> = {
  initialState: () => ({ status: null, firewallId: null, accountId: null, name: '', rules: [], instanceIds: [] }),

  decide(command, state) {
    if (command.type === 'CreateFirewall') {
      if (state.status !== null) throw AppError.conflict(`firewall ${command.firewallId} exists`);
      const { firewallId, accountId, name } = command;
      if (!isRfc1123Label(name)) throw AppError.badInput('input.name', RFC1123_LABEL_RULE);
      const rules = validateRules(command.rules, 'input.rules');
      const created: FirewallEvent = { type: 'FirewallCreated', data: { firewallId, accountId, name, rules } };
      const unique = [...new Map(command.instances.map((instance) => [instance.instanceId, instance])).values()];
      const createdState = firewallDecider.evolve(state, created);
      return [created, ...unique.map((instance) => attach(createdState, instance))];
    }
    if (state.status === null) throw AppError.notFound('firewall');
    if (state.status === 'DELETED') {
      if (command.type === 'DeleteFirewall') return [];
      throw AppError.notFound(`firewall ${state.firewallId}`);
    }
    const firewallId = state.firewallId!;
    switch (command.type) {
      case 'SetFirewallRules': {
        const rules = validateRules(command.rules, 'rules');
        if (sameRules(rules, state.rules)) return [];
        return [{ type: 'FirewallRulesSet', data: { firewallId, rules, instanceIds: state.instanceIds } }];
      }
      case 'AttachFirewall':
        return state.instanceIds.includes(command.instance.instanceId) ? [] : [attach(state, command.instance)];
      case 'DetachFirewall':
        if (!state.instanceIds.includes(command.instanceId)) return [];
        return [{ type: 'FirewallDetached', data: { firewallId, instanceId: command.instanceId, name: state.name, reason: command.reason } }];
      case 'DeleteFirewall':
        if (state.instanceIds.length > 0) {
          throw AppError.conflict(`firewall ${firewallId} is attached to instance ${state.instanceIds.join(', ')}: detach it first`);
        }
        return [{ type: 'FirewallDeleted', data: { firewallId } }];
    }
  },

  evolve(state, event) {
    switch (event.type) {
      case 'FirewallCreated': {
        const { firewallId, accountId, name, rules } = event.data;
        return { ...state, status: 'ACTIVE', firewallId, accountId, name, rules };
      }
      case 'FirewallRulesSet':
        return { ...state, rules: event.data.rules };
      case 'FirewallAttached':
        return { ...state, instanceIds: [...state.instanceIds, event.data.instanceId] };
      case 'FirewallDetached':
        return { ...state, instanceIds: state.instanceIds.filter((id) => id !== event.data.instanceId) };
      case 'FirewallDeleted':
        return { ...state, status: 'DELETED' };
    }
  },
};

/** Only the firewall's own account's live instances, each with room for one more. */
function attach(state: FirewallState, instance: AttachTarget): FirewallEvent {
  if (instance.accountId !== state.accountId || instance.ended) throw AppError.notFound(`instance ${instance.instanceId}`);
  if (instance.firewalls >= FIREWALLS_PER_INSTANCE) {
    throw AppError.conflict(`instance ${instance.instanceId} has ${instance.firewalls} firewalls attached, the most it may have: detach one first`);
  }
  return { type: 'FirewallAttached', data: { firewallId: state.firewallId!, instanceId: instance.instanceId, name: state.name } };
}
