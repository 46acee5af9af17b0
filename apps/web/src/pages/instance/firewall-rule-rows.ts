import type { FirewallDirection, FirewallProtocol, FirewallRuleInput } from '../../gql/graphql.js';

/** A rule as the editor holds it: the addresses as typed (commas or spaces between CIDRs), the ports as typed. */
export interface RuleRow {
  direction: FirewallDirection;
  protocol: FirewallProtocol;
  ports: string;
  addresses: string;
  description: string;
}

/** A new rule starts as the commonest one: SSH from anyone. */
export const newRuleRow = (): RuleRow => ({ direction: 'INGRESS', protocol: 'TCP', ports: '22', addresses: '0.0.0.0/0, ::/0', description: '' });

export const rowOfRule = (rule: { direction: FirewallDirection; protocol: FirewallProtocol; ports?: string | null; addresses: readonly string[]; description?: string | null }): RuleRow => ({
  direction: rule.direction,
  protocol: rule.protocol,
  ports: rule.ports ?? '',
  addresses: rule.addresses.join(', '),
  description: rule.description ?? '',
});

/**
 * The rule the API takes: blank ports are every port (and ICMP has none), blank description none;
 * the addresses split, not checked: the API says which one is wrong, beside it.
 */
export const ruleOfRow = (row: RuleRow): FirewallRuleInput => ({
  direction: row.direction,
  protocol: row.protocol,
  ports: row.protocol === 'ICMP' || row.ports.trim() === '' ? null : row.ports.trim(),
  addresses: row.addresses.split(/[\s,]+/).filter(Boolean),
  description: row.description.trim() || null,
});

/** The form's fields as the API names them (`rules[2].ports`, after formErrors drops `input.` and an address's index). */
export const ruleFields = (count: number): string[] =>
  Array.from({ length: count }, (_, i) => ['direction', 'protocol', 'ports', 'addresses', 'description'].map((field) => `rules[${i}].${field}`)).flat();

/** A rule in one line, as a person reads it. */
export function ruleInWords(rule: { direction: FirewallDirection; protocol: FirewallProtocol; ports?: string | null; addresses: readonly string[]; description?: string | null }): string {
  const ports = rule.protocol === 'ICMP' ? '' : rule.ports ? ` port ${rule.ports}` : ' every port';
  const side = rule.direction === 'INGRESS' ? 'from' : 'to';
  const anyone = rule.addresses.length > 0 && rule.addresses.every((a) => a === '0.0.0.0/0' || a === '::/0');
  const words = `${rule.direction === 'INGRESS' ? 'In' : 'Out'}: ${rule.protocol}${ports} ${side} ${anyone ? 'anyone' : rule.addresses.join(', ')}`;
  return rule.description ? `${words} (${rule.description})` : words;
}
