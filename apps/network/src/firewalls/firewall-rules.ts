import { ADDRESSES_PER_FIREWALL, AppError, type FilterRule, type FirewallDirection, type FirewallProtocol, type FirewallRule, formatPrefix, RULES_PER_FIREWALL } from '#libs/contracts';
import { parsePrefix } from '../ip-range.js';

/**
 * A firewall's rules as the API states them: checked field by field (the refusal names the rule
 * and its field, `rules[3].ports`), and kept in one canonical form, so rules that say the same
 * thing read the same.
 */

const DIRECTIONS: readonly FirewallDirection[] = ['INGRESS', 'EGRESS'];
const PROTOCOLS: readonly FirewallProtocol[] = ['TCP', 'UDP', 'ICMP'];
/** Enough for any sensible list; the host enforces each as a set, but a rule is no place for a blocklist. */
const ADDRESSES_PER_RULE = 100;
const DESCRIPTION_LENGTH = 255;

/** The rules in their canonical form, or BAD_USER_INPUT naming the first bad field under `field` (`rules`, `input.rules`). */
export function validateRules(rules: unknown, field: string): FirewallRule[] {
  if (!Array.isArray(rules)) throw AppError.badInput(field, 'must be a list of rules');
  if (rules.length > RULES_PER_FIREWALL) throw AppError.badInput(field, `a firewall holds at most ${RULES_PER_FIREWALL} rules, not ${rules.length}`);
  const valid = rules.map((rule, i) => validateRule(rule, `${field}[${i}]`));
  const named = valid.reduce((sum, rule) => sum + rule.addresses.length, 0);
  if (named > ADDRESSES_PER_FIREWALL) {
    throw AppError.badInput(field, `a firewall's rules name at most ${ADDRESSES_PER_FIREWALL} CIDRs together, not ${named}: a host enforces each as a rule of its own`);
  }
  return valid;
}

function validateRule(rule: unknown, field: string): FirewallRule {
  if (typeof rule !== 'object' || rule === null) throw AppError.badInput(field, 'must be a rule');
  const { direction, protocol, ports, addresses, description } = rule as Record<string, unknown>;
  if (!DIRECTIONS.includes(direction as FirewallDirection)) throw AppError.badInput(`${field}.direction`, 'must be INGRESS or EGRESS');
  if (!PROTOCOLS.includes(protocol as FirewallProtocol)) throw AppError.badInput(`${field}.protocol`, 'must be TCP, UDP or ICMP');
  return {
    direction: direction as FirewallDirection,
    protocol: protocol as FirewallProtocol,
    ports: validatePorts(ports, protocol as FirewallProtocol, `${field}.ports`),
    addresses: validateAddresses(addresses, `${field}.addresses`),
    description: validateDescription(description, `${field}.description`),
  };
}

function validatePorts(ports: unknown, protocol: FirewallProtocol, field: string): string | null {
  if (ports === null || ports === undefined) return null;
  if (protocol === 'ICMP') throw AppError.badInput(field, 'ICMP has no ports: leave them null');
  const match = typeof ports === 'string' ? /^\s*(\d+)\s*(?:-\s*(\d+)\s*)?$/.exec(ports) : null;
  if (!match) throw AppError.badInput(field, 'must be a port (22) or a range (8000-8100), or null for every port');
  const from = Number(match[1]);
  const to = match[2] === undefined ? from : Number(match[2]);
  for (const port of [from, to]) {
    if (port < 1 || port > 65535) throw AppError.badInput(field, `ports are 1 to 65535, not ${port}`);
  }
  if (from > to) throw AppError.badInput(field, `a range goes from the lower port to the higher: ${to}-${from}, not ${from}-${to}`);
  return from === to ? String(from) : `${from}-${to}`;
}

function validateAddresses(addresses: unknown, field: string): string[] {
  if (!Array.isArray(addresses) || addresses.length === 0) {
    throw AppError.badInput(field, 'must list at least one CIDR of the remote side (0.0.0.0/0 and ::/0 for anyone)');
  }
  if (addresses.length > ADDRESSES_PER_RULE) throw AppError.badInput(field, `a rule lists at most ${ADDRESSES_PER_RULE} CIDRs, not ${addresses.length}`);
  const canonical = addresses.map((address, i) => {
    const prefix = parsePrefix(typeof address === 'string' ? address.trim() : address);
    if ('error' in prefix) throw AppError.badInput(`${field}[${i}]`, `${String(address)}: ${prefix.error}`);
    return formatPrefix(prefix);
  });
  return [...new Set(canonical)];
}

function validateDescription(description: unknown, field: string): string | null {
  if (description === null || description === undefined || description === '') return null;
  if (typeof description !== 'string' || description.length > DESCRIPTION_LENGTH) {
    throw AppError.badInput(field, `must be text of at most ${DESCRIPTION_LENGTH} characters`);
  }
  return description;
}

/** Whether two lists of canonical rules say the same. */
export const sameRules = (a: readonly FirewallRule[], b: readonly FirewallRule[]): boolean => JSON.stringify(a) === JSON.stringify(b);

/** A canonical rule as a host enforces it: its ports parsed; its CIDRs as stated (0.0.0.0/0 is anyone over IPv4 only, ::/0 over IPv6). */
export function filterRuleOf(rule: FirewallRule): FilterRule {
  const [from, to = from] = rule.ports === null ? [] : rule.ports.split('-').map(Number);
  return {
    protocol: rule.protocol,
    ports: rule.ports === null ? null : { from, to },
    addresses: [...rule.addresses],
  };
}
