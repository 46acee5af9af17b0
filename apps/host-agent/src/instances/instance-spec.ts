import path from 'node:path';
import { AppError, type InstanceNetwork, type InstanceSpec, isRfc1123Label, isUuid, parseAddress, parseCidr, RFC1123_LABEL_RULE } from '#libs/contracts';

const INTERFACE = /^[a-zA-Z0-9_.-]{1,15}$/;
const MAC = /^[0-9a-f]{2}(:[0-9a-f]{2}){5}$/;
const TEMPLATE = /^template:[a-z0-9][a-z0-9_-]{0,31}$/;
const DEV_IMAGE = /^dev:[a-z0-9][a-z0-9_-]{0,31}$/;

/** A network interface's name as Linux takes one (15 characters at most, not . or ..), and safe in a path, an argument or an `ip -batch` line. */
export function isInterfaceName(value: unknown): value is string {
  return typeof value === 'string' && INTERFACE.test(value) && value !== '.' && value !== '..';
}

/** The instance id names folders, processes and containers: only a UUID may. */
export function assertInstanceId(value: unknown, field = 'instanceId'): string {
  if (!isUuid(value)) throw AppError.badInput(field, 'must be a lower-case UUID');
  return value;
}

function positiveInteger(value: unknown, field: string, max: number): number {
  if (!Number.isInteger(value) || (value as number) < 1 || (value as number) > max) {
    throw AppError.badInput(field, `must be a whole number from 1 to ${max}`);
  }
  return value as number;
}

function address(value: unknown, field: string, family: 4 | 6, withPrefix: boolean): string | undefined {
  if (value === undefined) return undefined;
  const cidr = withPrefix ? parseCidr(value) : null;
  const parsed = cidr ? ('error' in cidr ? null : cidr.address) : parseAddress(value);
  if (typeof value !== 'string' || parsed?.family !== (family === 4 ? 'IPV4' : 'IPV6')) {
    throw AppError.badInput(field, `must be an IPv${family} address${withPrefix ? ' with its prefix length, e.g. 192.0.2.10/24' : ''}`);
  }
  return value;
}

function validNetwork(network: InstanceNetwork): InstanceNetwork {
  if (!isInterfaceName(network.bridge)) throw AppError.badInput('spec.network.bridge', 'must be an interface name');
  if (network.mac !== undefined && !MAC.test(network.mac)) throw AppError.badInput('spec.network.mac', 'must be a lower-case MAC address');
  return {
    bridge: network.bridge,
    ipv4: address(network.ipv4, 'spec.network.ipv4', 4, true),
    gateway4: address(network.gateway4, 'spec.network.gateway4', 4, false),
    ipv6: address(network.ipv6, 'spec.network.ipv6', 6, true),
    gateway6: address(network.gateway6, 'spec.network.gateway6', 6, false),
    mac: network.mac,
  };
}

/**
 * Checks everything in a spec that reaches a path, an argument or a configuration file.
 * User data and SSH keys go to the guest as file contents only, so any text is fine there.
 */
export function validateSpec(spec: InstanceSpec): InstanceSpec {
  assertInstanceId(spec?.instanceId, 'spec.instanceId');
  if (!isRfc1123Label(spec.name)) throw AppError.badInput('spec.name', RFC1123_LABEL_RULE);
  if (spec.kind !== 'VM' && spec.kind !== 'CONTAINER') throw AppError.badInput('spec.kind', 'must be VM or CONTAINER');
  const location = spec.image?.location;
  const isTemplate = typeof location === 'string' && TEMPLATE.test(location);
  const isDevImage = typeof location === 'string' && DEV_IMAGE.test(location);
  if (spec.image?.kind !== spec.kind) throw AppError.badInput('spec.image.kind', `must be ${spec.kind}`);
  if (!isTemplate && !isDevImage && (typeof location !== 'string' || !path.isAbsolute(location) || path.normalize(location) !== location || location.includes('\0'))) {
    throw AppError.badInput('spec.image.location', 'must be a normalised absolute path on the host, dev:<name>, or template:<name> for a container');
  }
  if (isTemplate && spec.kind !== 'CONTAINER') throw AppError.badInput('spec.image.location', 'a template makes containers only');
  if (spec.sshKeys !== undefined && (!Array.isArray(spec.sshKeys) || spec.sshKeys.some((k) => typeof k !== 'string'))) {
    throw AppError.badInput('spec.sshKeys', 'must be a list of strings');
  }
  if (spec.userData !== undefined && typeof spec.userData !== 'string') throw AppError.badInput('spec.userData', 'must be a string');
  return {
    instanceId: spec.instanceId,
    name: spec.name,
    kind: spec.kind,
    vcpus: positiveInteger(spec.vcpus, 'spec.vcpus', 256),
    memoryMb: positiveInteger(spec.memoryMb, 'spec.memoryMb', 4 * 1024 * 1024),
    diskGb: positiveInteger(spec.diskGb, 'spec.diskGb', 64 * 1024),
    image: { kind: spec.image.kind, location },
    network: spec.network ? validNetwork(spec.network) : undefined,
    sshKeys: spec.sshKeys,
    userData: spec.userData,
  };
}

/** A stable, locally administered MAC from the instance id (52:54:00 is QEMU's prefix). */
export function macFor(instanceId: string): string {
  const hex = instanceId.replace(/-/g, '');
  return `52:54:00:${hex.slice(0, 2)}:${hex.slice(2, 4)}:${hex.slice(4, 6)}`;
}
