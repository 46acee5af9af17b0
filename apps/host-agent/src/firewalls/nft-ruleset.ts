import type { FilterRule, InstanceFilter } from '#libs/contracts';
import { formatAddress, formatPrefix, parseAddress, type IpAddress } from '#libs/contracts';
import { formatMac, linkLocalOf, parseMac, parsePrefix } from './ip-addresses.js';

/**
 * The nftables ruleset that enforces instances' filters on their ports: pure text, loaded whole
 * with `nft -f` (one transaction: a port is never seen half-filtered).
 *
 * Instances on one bridge talk bridged, so the agent's table is of the `bridge` family. Its base
 * chains look each frame's port up in a verdict map (`spoof`, `egress`, `ingress`: port name → the
 * instance's chain) and jump there. Frames from a port pass its anti-spoofing chain at prerouting
 * (bridged on or for the host), its egress chain at forward and input; frames to a port its ingress
 * chain at forward (a base chain of its own, after egress's) and output (what the host sends, routed
 * traffic from outside included). A firewall chain accepts what it allows, which ends only its own
 * base chain: a frame between two instances passes the sender's egress, then the receiver's ingress.
 *
 * No rule of an instance's holds a set: the kernel finds each anonymous set of a transaction by
 * walking the whole transaction, which makes loading many instances at once quadratic (1,000 took
 * minutes). Lists are rules, one per value; the few sets there are sit in the shared chains, once.
 */

/**
 * How a chain tells a reply (established or related) from a new connection:
 * - `conntrack`: the bridge family's own connection tracking (`ct state`; kernel module nf_conntrack_bridge);
 * - `mark`: where the kernel has no bridge conntrack but br_netfilter passes bridged IP traffic through
 *   the inet hooks (bridge-nf-call-iptables), an inet table copies their `ct state` into a bit of the
 *   packet's mark (REPLY_MARK) that the bridge chains read;
 * - null (FirewallTable.replies): neither; only anti-spoofing can be enforced.
 */
export type ReplyMatch = 'conntrack' | 'mark';

/** The mark bit `mark` sets on replies: one bit, high enough to stay clear of the marks common host software uses. */
export const REPLY_MARK = 0x01000000;

export interface FirewallTable {
  /** The agent's tables, `bridge <name>` and (`mark`) `inet <name>`. */
  name: string;
  replies: ReplyMatch | null;
  /** The tables, maps and shared chains are in place as written for these replies: only ports' own chains are written. */
  inPlace?: boolean;
}

/** An instance's port on this host, its MAC, and the filter to enforce there (validated: instance-filter.ts). */
export interface PortFilter {
  port: string;
  mac: string;
  filter: InstanceFilter;
}

/** What to take away: the instance's chains, and its port's entries in the maps. */
export interface PortRemoval {
  instanceId: string;
  port: string;
}

const MAPS = ['spoof', 'egress', 'ingress'] as const;
/** An instance's chains: its anti-spoofing, with the lists of its own sources and of the addresses it may claim; its firewall each way. */
const CHAINS = ['spoof', 'sources', 'targets', 'egress', 'ingress'] as const;
type ChainKind = (typeof CHAINS)[number];

const TABLE = /^[a-z][a-z0-9-]{0,63}$/;
const PORT = /^[a-zA-Z0-9_.-]{1,15}$/;
const UUID = /^[0-9a-f]{8}-[0-9a-f]{4}-[0-9a-f]{4}-[0-9a-f]{4}-[0-9a-f]{12}$/;

/** The agent's tables on this host: its own, so that two agents of one machine (tests, a migration between them) never touch each other's rules. */
export function firewallTableName(hostId: string): string {
  return `awan-${hostId}`;
}

function checked(value: string, pattern: RegExp, what: string): string {
  if (!pattern.test(value)) throw new Error(`not a valid ${what} for a ruleset: ${JSON.stringify(value)}`);
  return value;
}

function ip(text: string): IpAddress {
  const parsed = parseAddress(text);
  if (!parsed) throw new Error(`not an IP address: ${JSON.stringify(text)}`);
  return parsed;
}

function prefix(text: string) {
  const parsed = parsePrefix(text);
  if (!parsed) throw new Error(`not a prefix: ${JSON.stringify(text)}`);
  return parsed;
}

function port(value: number): number {
  if (!Number.isInteger(value) || value < 1 || value > 65_535) throw new Error(`not a port: ${value}`);
  return value;
}

const hex = (value: bigint | number, digits: number) => `0x${value.toString(16).padStart(digits, '0')}`;
const unique = (items: string[]) => [...new Set(items)];

function replyMatch(replies: ReplyMatch): string {
  return replies === 'conntrack' ? 'ct state established,related' : `meta mark & ${hex(REPLY_MARK, 8)} == ${hex(REPLY_MARK, 8)}`;
}

/** The checks every port's anti-spoofing shares: ARP, IPv4 and IPv6 only; well-formed ARP; :: only for duplicate address detection; no router's or DHCP server's messages. */
const SPOOFING = [
  'ether type != { arp, ip, ip6 } drop',
  'arp htype != 1 drop',
  'arp ptype != ip drop',
  'arp hlen != 6 drop',
  'arp plen != 4 drop',
  'ip6 saddr :: meta l4proto != ipv6-icmp drop',
  'ip6 saddr :: icmpv6 type != { nd-neighbor-solicit, mld-listener-report, mld2-listener-report } drop',
  'icmpv6 type { nd-router-advert, nd-redirect } drop',
  'udp sport { 67, 547 } drop',
];

/** The neighbour discovery and multicast listener messages IPv6 needs whatever the rules say, each way. */
const NEIGHBOUR_DISCOVERY = {
  ingress: '{ nd-router-advert, nd-neighbor-solicit, nd-neighbor-advert, mld-listener-query }',
  egress: '{ nd-router-solicit, nd-neighbor-solicit, nd-neighbor-advert, mld-listener-report, mld-listener-reduction, mld2-listener-report }',
};

/** What every firewall lets through, each way: replies, ARP and neighbour discovery. */
function always(direction: 'ingress' | 'egress', replies: ReplyMatch | null): string[] {
  return [...(replies ? [`${replyMatch(replies)} accept`] : []), 'ether type arp accept', `icmpv6 type ${NEIGHBOUR_DISCOVERY[direction]} accept`];
}

/** The tables, their maps, base and shared chains: made where missing, and the rules of base and shared chains written again (each the same). */
function prelude({ name, replies }: FirewallTable): string[] {
  const table = `bridge ${name}`;
  const chain = (chainName: string, hook: string | null, priority: number, rules: string[]) => [
    hook ? `add chain ${table} ${chainName} { type filter hook ${hook} priority ${priority}; policy accept; }` : `add chain ${table} ${chainName}`,
    `flush chain ${table} ${chainName}`,
    ...rules.map((rule) => `add rule ${table} ${chainName} ${rule}`),
  ];
  const lines = [
    `add table ${table}`,
    ...MAPS.map((map) => `add map ${table} ${map} { type ifname : verdict; }`),
    ...chain('spoofing', null, 0, SPOOFING),
    ...chain('egress-always', null, 0, always('egress', replies)),
    ...chain('ingress-always', null, 0, always('ingress', replies)),
    // Before br_netfilter's (priority 0): a spoofed frame never reaches connection tracking.
    ...chain('prerouting', 'prerouting', -200, ['iifname vmap @spoof']),
    ...chain('forward-egress', 'forward', 0, ['iifname vmap @egress']),
    ...chain('forward-ingress', 'forward', 10, ['oifname vmap @ingress']),
    ...chain('input', 'input', 0, ['iifname vmap @egress']),
    ...chain('output', 'output', 0, ['oifname vmap @ingress']),
  ];
  if (replies === 'mark') {
    const inet = `inet ${name}`;
    const marking = (hook: string) => [
      // After conntrack (-200): the packet's state is known.
      `add chain ${inet} ${hook} { type filter hook ${hook} priority -150; policy accept; }`,
      `flush chain ${inet} ${hook}`,
      `add rule ${inet} ${hook} meta mark set meta mark & ${hex(~REPLY_MARK >>> 0, 8)}`,
      `add rule ${inet} ${hook} ct state established,related meta mark set meta mark | ${hex(REPLY_MARK, 8)}`,
    ];
    lines.push(`add table ${inet}`, ...marking('prerouting'), ...marking('output'));
  }
  return lines;
}

/**
 * Frames from the port, besides the shared checks: only with the instance's MAC; ARP only from its
 * MAC; ARP and IP only from its own addresses (IPv6 also its link-local, and ::); neighbour
 * advertisements, and duplicate address detection, only for its own addresses; link-layer address
 * options only with its MAC.
 */
function spoofChains(id: string, macText: string, filter: InstanceFilter): Pick<Record<ChainKind, string[]>, 'spoof' | 'sources' | 'targets'> {
  const macValue = parseMac(macText);
  if (macValue === null) throw new Error(`not a MAC address: ${JSON.stringify(macText)}`);
  const mac = formatMac(macValue);
  const macBits = hex(macValue, 12);
  const own = filter.addresses.map(ip);
  const v4 = own.filter((a) => a.family === 'IPV4').map(formatAddress);
  const v6 = [...own.filter((a) => a.family === 'IPV6'), linkLocalOf(macValue)];
  return {
    spoof: [
      `ether saddr != ${mac} drop`,
      'jump spoofing',
      `arp saddr ether != ${mac} drop`,
      `jump sources-${id}`,
      `icmpv6 type nd-neighbor-advert jump targets-${id}`,
      `ip6 saddr :: icmpv6 type nd-neighbor-solicit jump targets-${id}`,
      // The first option, where it is a link-layer address (type 1 source, 2 target), after the message's fixed part.
      `icmpv6 type nd-neighbor-advert @th,192,16 0x0201 @th,208,48 != ${macBits} drop`,
      `icmpv6 type nd-neighbor-solicit @th,192,16 0x0101 @th,208,48 != ${macBits} drop`,
      `icmpv6 type nd-router-solicit @th,64,16 0x0101 @th,80,48 != ${macBits} drop`,
    ],
    sources: [
      ...v4.map((address) => `arp saddr ip ${address} return`),
      ...v4.map((address) => `ip saddr ${address} return`),
      ...unique(v6.map(formatAddress)).map((address) => `ip6 saddr ${address} return`),
      'ip6 saddr :: return',
      'drop',
    ],
    // The address advertised or looked for: bytes 8-23 of the message.
    targets: [...unique(v6.map((a) => `@th,64,128 ${hex(a.value, 32)} return`)), 'drop'],
  };
}

/** A rule as nft rules, one per prefix (no set: see above). */
function ruleLines(direction: 'ingress' | 'egress', rule: FilterRule): string[] {
  const peer = direction === 'ingress' ? 'saddr' : 'daddr';
  return unique(
    rule.addresses.map(prefix).map((p) => {
      let protocol: string;
      if (rule.protocol === 'ICMP') {
        protocol = p.family === 'IPV4' ? 'meta l4proto icmp' : 'meta l4proto ipv6-icmp';
      } else {
        const l4 = rule.protocol === 'TCP' ? 'tcp' : 'udp';
        const range = rule.ports && { from: port(rule.ports.from), to: port(rule.ports.to) };
        protocol = !range ? `meta l4proto ${l4}` : range.from === range.to ? `${l4} dport ${range.from}` : `${l4} dport ${range.from}-${range.to}`;
      }
      return `${p.family === 'IPV4' ? 'ip' : 'ip6'} ${peer} ${formatPrefix(p)} ${protocol} accept`;
    }),
  );
}

/** A firewall's chain one way: what every firewall allows, then what its rules allow; everything else dropped. Null rules: nothing filtered this way. */
function firewallChain(direction: 'ingress' | 'egress', rules: FilterRule[] | null, replies: ReplyMatch | null): string[] {
  if (rules === null) return [];
  if (!replies) throw new Error('a firewall needs replies told apart: this host has neither bridge conntrack nor br_netfilter');
  return [`jump ${direction}-always`, ...rules.flatMap((rule) => ruleLines(direction, rule)), 'drop'];
}

/**
 * One transaction: the tables made where missing (unless `inPlace`), each of `enforce`'s instances' chains written
 * anew (flushed and filled in the same transaction: no moment without them) and its port mapped to
 * them, and `remove`'s chains and map entries taken away. Removals are written so that they hold
 * whether or not what they remove is there.
 */
export function renderRuleset(target: FirewallTable, enforce: PortFilter[], remove: PortRemoval[] = []): string {
  const table = `bridge ${checked(target.name, TABLE, 'table name')}`;
  const lines = target.inPlace ? [] : prelude(target);
  for (const { port: portName, mac, filter } of enforce) {
    const name = checked(portName, PORT, 'port name');
    const id = checked(filter.instanceId, UUID, 'instance id');
    const { firewall } = filter;
    const chains: Record<ChainKind, string[]> = {
      ...spoofChains(id, mac, filter),
      egress: firewallChain('egress', firewall?.egress ?? null, target.replies),
      ingress: firewallChain('ingress', firewall?.ingress ?? null, target.replies),
    };
    lines.push(`# ${id} revision ${filter.revision} on ${name}`);
    // Added empty first: the spoof chain jumps to the lists.
    for (const kind of CHAINS) lines.push(`add chain ${table} ${kind}-${id}`, `flush chain ${table} ${kind}-${id}`);
    for (const kind of CHAINS) lines.push(...chains[kind].map((rule) => `add rule ${table} ${kind}-${id} ${rule}`));
    for (const map of MAPS) lines.push(`add element ${table} ${map} { "${name}" : jump ${map}-${id} }`);
  }
  for (const { instanceId, port: portName } of remove) {
    const name = checked(portName, PORT, 'port name');
    const id = checked(instanceId, UUID, 'instance id');
    lines.push(`# ${id} removed from ${name}`);
    // Added first, so that each delete finds what it deletes; all flushed before any goes, as they jump to each other.
    for (const kind of CHAINS) lines.push(`add chain ${table} ${kind}-${id}`);
    for (const map of MAPS) lines.push(`add element ${table} ${map} { "${name}" : jump ${map}-${id} }`, `delete element ${table} ${map} { "${name}" }`);
    for (const kind of CHAINS) lines.push(`flush chain ${table} ${kind}-${id}`);
    for (const kind of CHAINS) lines.push(`delete chain ${table} ${kind}-${id}`);
  }
  return `${lines.join('\n')}\n`;
}

/** The agent's tables gone whole (once no instance's port is in them), whether or not they are there. */
export function renderTablesRemoval(name: string): string {
  checked(name, TABLE, 'table name');
  return `${['bridge', 'inet'].flatMap((family) => [`add table ${family} ${name}`, `delete table ${family} ${name}`]).join('\n')}\n`;
}

/** The instance whose anti-spoofing chain a map entry jumps to, or null. */
export function instanceOfChain(chain: string): string | null {
  const match = /^spoof-(.{36})$/.exec(chain);
  return match && UUID.test(match[1]) ? match[1] : null;
}
