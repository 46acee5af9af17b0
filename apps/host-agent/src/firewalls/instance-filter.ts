import { AppError, FIREWALLS_PER_INSTANCE, type FilterRule, formatAddress, formatPrefix, type InstanceFilter, type InstanceSpec, parseAddress, RULES_PER_FIREWALL } from '#libs/contracts';
import { assertInstanceId } from '../instances/instance-spec.js';
import { parsePrefix } from './ip-addresses.js';

/** The most addresses an instance holds at once, and a rule names: bounds on the ruleset one filter makes. */
const ADDRESSES_PER_INSTANCE = 256;
const ADDRESSES_PER_RULE = 1024;
const RULES_PER_DIRECTION = FIREWALLS_PER_INSTANCE * RULES_PER_FIREWALL;

const isObject = (value: unknown): value is Record<string, unknown> => typeof value === 'object' && value !== null && !Array.isArray(value);

function port(value: unknown, field: string): number {
  if (!Number.isInteger(value) || (value as number) < 1 || (value as number) > 65_535) throw AppError.badInput(field, 'must be a port from 1 to 65535');
  return value as number;
}

function rule(input: unknown, field: string): FilterRule {
  if (!isObject(input)) throw AppError.badInput(field, 'must be a rule');
  const { protocol, ports, addresses } = input;
  if (protocol !== 'TCP' && protocol !== 'UDP' && protocol !== 'ICMP') throw AppError.badInput(`${field}.protocol`, 'must be TCP, UDP or ICMP');
  let range: FilterRule['ports'] = null;
  if (ports !== null && ports !== undefined) {
    if (protocol === 'ICMP') throw AppError.badInput(`${field}.ports`, 'ICMP has no ports');
    if (!isObject(ports)) throw AppError.badInput(`${field}.ports`, 'must be a range {from, to}, or null for every port');
    range = { from: port(ports.from, `${field}.ports.from`), to: port(ports.to, `${field}.ports.to`) };
    if (range.from > range.to) throw AppError.badInput(`${field}.ports`, `${range.from}-${range.to} runs backwards`);
  }
  if (!Array.isArray(addresses) || addresses.length === 0 || addresses.length > ADDRESSES_PER_RULE) {
    throw AppError.badInput(`${field}.addresses`, `must list from 1 to ${ADDRESSES_PER_RULE} prefixes`);
  }
  const prefixes = addresses.map((text, index) => {
    const prefix = parsePrefix(text);
    if (!prefix) throw AppError.badInput(`${field}.addresses[${index}]`, 'must be a prefix in CIDR notation, e.g. 198.51.100.0/24');
    return formatPrefix(prefix);
  });
  return { protocol, ports: range, addresses: [...new Set(prefixes)] };
}

function rules(input: unknown, field: string): FilterRule[] {
  if (!Array.isArray(input) || input.length > RULES_PER_DIRECTION) throw AppError.badInput(field, `must list at most ${RULES_PER_DIRECTION} rules`);
  return input.map((item, index) => rule(item, `${field}[${index}]`));
}

/**
 * A filter as it came over NATS, checked field by field and normalised: addresses re-printed
 * from their parsed values, prefixes without host bits, ports whole numbers. Only what this
 * returns is ever written into a ruleset. `instanceId`, where given, is the instance it must be for.
 */
export function validFilter(input: unknown, field = 'filter', instanceId?: string): InstanceFilter {
  if (!isObject(input)) throw AppError.badInput(field, 'must be an instance filter');
  const id = assertInstanceId(input.instanceId, `${field}.instanceId`);
  if (instanceId !== undefined && id !== instanceId) throw AppError.badInput(`${field}.instanceId`, `must be the instance's own, ${instanceId}`);
  if (!Number.isSafeInteger(input.revision) || (input.revision as number) < 0) throw AppError.badInput(`${field}.revision`, 'must be a whole number from 0');
  const { addresses, firewall } = input;
  if (!Array.isArray(addresses) || addresses.length > ADDRESSES_PER_INSTANCE) {
    throw AppError.badInput(`${field}.addresses`, `must list at most ${ADDRESSES_PER_INSTANCE} addresses`);
  }
  const own = addresses.map((text, index) => {
    const ip = parseAddress(text);
    if (!ip) throw AppError.badInput(`${field}.addresses[${index}]`, 'must be an IP address without prefix length');
    return formatAddress(ip);
  });
  if (firewall !== null && !isObject(firewall)) throw AppError.badInput(`${field}.firewall`, 'must be the firewall, or null for none');
  return {
    instanceId: id,
    revision: input.revision as number,
    addresses: [...new Set(own)],
    firewall: firewall && {
      ingress: rules(firewall.ingress, `${field}.firewall.ingress`),
      egress: firewall.egress === null ? null : rules(firewall.egress, `${field}.firewall.egress`),
    },
  };
}

/** What a host enforces on an instance it was never given a filter for: anti-spoofing on its spec's own addresses, no firewall. */
export function filterFromSpec(spec: InstanceSpec): InstanceFilter {
  const own = [spec.network?.ipv4, spec.network?.ipv6].filter((address): address is string => Boolean(address)).map((address) => address.split('/')[0]);
  return validFilter({ instanceId: spec.instanceId, revision: 0, addresses: own, firewall: null });
}
