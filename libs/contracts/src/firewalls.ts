import type { Caller } from './caller.js';
import type { CountedPage } from './requests.js';

/**
 * Firewalls: an account's sets of rules, attached to its instances, owned by network (stream
 * `firewall-<id>`, subjects `events.network.firewall.<EventType>`). What a host enforces on an
 * instance's port is its InstanceFilter: anti-spoofing always (its own MAC and addresses only),
 * and, where a firewall is attached, the rules of all of them (stateful).
 */

export type FirewallDirection = 'INGRESS' | 'EGRESS';
export type FirewallProtocol = 'TCP' | 'UDP' | 'ICMP';

/** The most firewalls an instance has attached, and rules a firewall holds. */
export const FIREWALLS_PER_INSTANCE = 5;
export const RULES_PER_FIREWALL = 50;
/**
 * The CIDRs a firewall names across its rules. An instance's filter then names at most 1,250: its host
 * loads each as a rule of its own, and NATS carries eight such filters in one message (compute asks so many at once).
 */
export const ADDRESSES_PER_FIREWALL = 250;

/** A rule as the API states it: `ports` "22" or "8000-8100" (null: every port; always null for ICMP); `addresses` CIDRs of the remote side. */
export interface FirewallRule {
  direction: FirewallDirection;
  protocol: FirewallProtocol;
  ports: string | null;
  addresses: string[];
  description: string | null;
}

export interface FirewallView {
  id: string;
  accountId: string;
  name: string;
  rules: FirewallRule[];
  /** The instances it is attached to now. */
  instanceIds: string[];
  createdAt: string;
}

export interface CreateFirewallInput {
  name: string;
  rules: FirewallRule[];
  instanceIds?: string[] | null;
}

/** The events of a firewall's stream. Attaches and detaches are also recorded in the instance's history (compute). */
export interface FirewallEvents {
  FirewallCreated: { firewallId: string; accountId: string; name: string; rules: FirewallRule[] };
  /** `instanceIds`: those it is attached to as it changes, whose hosts enforce the new rules. */
  FirewallRulesSet: { firewallId: string; rules: FirewallRule[]; instanceIds: string[] };
  FirewallAttached: { firewallId: string; instanceId: string; name: string };
  /** By its account, or because the instance was deleted. */
  FirewallDetached: { firewallId: string; instanceId: string; name: string; reason: 'detached' | 'instance deleted' };
  FirewallDeleted: { firewallId: string };
}

/**
 * Network's stream `filter-<instanceId>` (subjects `events.network.filter.<EventType>`): one event,
 * appended in the same transaction as every change to what the instance's host is to enforce (a
 * firewall attached or detached, its rules set, an address assigned or unassigned). `revision` is
 * the stream's version: compute sends the filter as it is then to the instance's host.
 */
export interface InstanceFilterEvents {
  InstanceFilterChanged: { instanceId: string; revision: number };
}

/** The firewall events of an instance's stream (compute): its history shows what was attached and detached. */
export interface InstanceFirewallEvents {
  InstanceFirewallAttached: { firewallId: string; name: string };
  InstanceFirewallDetached: { firewallId: string; name: string; reason: 'detached' | 'instance deleted' };
}

/** A rule as a host enforces it: ports parsed, addresses normalised CIDRs (both families where the rule says anyone). */
export interface FilterRule {
  protocol: FirewallProtocol;
  /** Inclusive; null for every port (and ICMP). */
  ports: { from: number; to: number } | null;
  addresses: string[];
}

/**
 * What the instance's host enforces on its port. `revision` grows with every change network makes
 * to it: a host applies a filter only when newer than the one it holds, whatever order they come in.
 */
export interface InstanceFilter {
  instanceId: string;
  revision: number;
  /** Its own addresses, floating ones while assigned (no prefix length): the only sources it may send from. */
  addresses: string[];
  /** Null while no firewall is attached: everything is accepted (anti-spoofing still applies). */
  firewall: {
    ingress: FilterRule[];
    /** Null: outbound unfiltered (no attached firewall has an EGRESS rule). */
    egress: FilterRule[] | null;
  } | null;
}

export interface FirewallRequests {
  /** A firewall of `accountId` (one the caller acts for), attached at once to `input.instanceIds` (that account's). */
  'network.firewall.create': { request: Caller & { accountId: string; input: CreateFirewallInput }; reply: FirewallView };
  /** Null for a firewall outside the caller's scope, as for one that does not exist. */
  'network.firewall.get': { request: Caller & { id: string }; reply: FirewallView | null };
  'network.firewall.list': { request: Caller & { first?: number; after?: string }; reply: CountedPage<FirewallView> };
  /** The firewalls attached to each of these instances in the caller's scope: the gateway's batched lookup. */
  'network.firewall.ofInstances': { request: Caller & { instanceIds: string[] }; reply: { instanceId: string; firewalls: FirewallView[] }[] };
  'network.firewall.setRules': { request: Caller & { id: string; rules: FirewallRule[] }; reply: FirewallView };
  'network.firewall.attach': { request: Caller & { id: string; instanceId: string }; reply: FirewallView };
  'network.firewall.detach': { request: Caller & { id: string; instanceId: string }; reply: FirewallView };
  /** CONFLICT while attached to an instance. */
  'network.firewall.delete': { request: Caller & { id: string }; reply: FirewallView };
  /** Compute's: what the hosts of these instances are to enforce now. */
  'network.filter.ofInstances': { request: { instanceIds: string[] }; reply: InstanceFilter[] };
}
