import { createHash } from 'node:crypto';
import { mkdir, readdir, readFile, rm, writeFile } from 'node:fs/promises';
import { BlockList, isIP } from 'node:net';
import path from 'node:path';
import { AppError, type InstanceNetwork, type InstanceSpec } from '#libs/contracts';
import { runProgram } from '../host/program.js';

/**
 * The host side of instance networking: the region's bridge holding the gateway addresses,
 * and a VM's tap on it. Containers join the bridge through the veth LXC makes (named as below).
 */

/**
 * An instance's port on this host's bridge: a prefix + 12 hex digits, within Linux's 15-character
 * limit. The host is part of the name: during a live migration between two hosts of one machine,
 * both QEMUs hold a tap for the VM at once. Fixed names are what the host's firewall rules key on.
 */
function portName(prefix: 'awt' | 'awv', hostId: string, instanceId: string): string {
  return `${prefix}${createHash('sha256').update(`${hostId}/${instanceId}`).digest('hex').slice(0, 12)}`;
}

/** A VM's tap interface on this host. */
export function tapName(hostId: string, instanceId: string): string {
  return portName('awt', hostId, instanceId);
}

/** The host side of a container's veth pair on this host. */
export function vethName(hostId: string, instanceId: string): string {
  return portName('awv', hostId, instanceId);
}

/** The instance's port on its bridge on this host. */
export function instancePort(hostId: string, spec: Pick<InstanceSpec, 'kind' | 'instanceId'>): string {
  return spec.kind === 'VM' ? tapName(hostId, spec.instanceId) : vethName(hostId, spec.instanceId);
}

async function exists(name: string): Promise<boolean> {
  return runProgram('ip', ['link', 'show', 'dev', name]).then(
    () => true,
    () => false,
  );
}

/** Creates the tap on `bridge` (again after a host restart); idempotent. */
export async function ensureTap(name: string, bridge: string): Promise<void> {
  if (!(await exists(name))) await runProgram('ip', ['tuntap', 'add', 'dev', name, 'mode', 'tap']);
  await runProgram('ip', ['link', 'set', 'dev', name, 'master', bridge]);
  await runProgram('ip', ['link', 'set', 'dev', name, 'up']);
}

export async function removeTap(name: string): Promise<void> {
  if (await exists(name)) await runProgram('ip', ['link', 'delete', 'dev', name]);
}

/** What this host already reaches and through where: a bridge must not take any of it over. */
export interface HostNetworkUse {
  /** The host's routes on other interfaces than the bridge (the default route left out: everything overlaps it). */
  routes: { dst: string; dev: string }[];
  /** Addresses the host depends on beyond its routes: its default gateways, its DNS servers, the names in /etc/hosts. */
  addresses: { address: string; what: string }[];
}

/**
 * Why `prefix` (a gateway with its length, e.g. 203.0.113.1/24) must not go on `bridge`, or null:
 * it overlaps a route of the host's on another interface, or covers an address the host uses.
 * Either would send the host's own traffic for it into the bridge.
 */
export function overlapWithHost(prefix: string, bridge: string, use: HostNetworkUse): string | null {
  const [address, length] = prefix.split('/');
  const family = isIP(address) === 6 ? 'ipv6' : 'ipv4';
  const inPrefix = new BlockList();
  inPrefix.addSubnet(address, Number(length), family);
  for (const route of use.routes) {
    if (route.dev === bridge) continue;
    const [dst, dstLength] = route.dst.split('/');
    if (isIP(dst) !== isIP(address)) continue;
    const inRoute = new BlockList();
    inRoute.addSubnet(dst, Number(dstLength ?? (family === 'ipv6' ? 128 : 32)), family);
    // Two prefixes overlap when either holds an address of the other's.
    if (inPrefix.check(dst, family) || inRoute.check(address, family)) {
      return `${prefix} overlaps the host's route ${route.dst} on ${route.dev}`;
    }
  }
  const used = use.addresses.find((a) => isIP(a.address) === isIP(address) && inPrefix.check(a.address, family));
  return used ? `${prefix} covers ${used.address}, ${used.what}` : null;
}

/** The host's routes and the addresses it depends on, read now. */
export async function readHostNetworkUse(): Promise<HostNetworkUse> {
  const routes: HostNetworkUse['routes'] = [];
  const addresses: HostNetworkUse['addresses'] = [];
  for (const family of ['-4', '-6']) {
    const listed = JSON.parse(await runProgram('ip', ['-json', family, 'route', 'show', 'table', 'main'])) as { dst: string; dev?: string; gateway?: string }[];
    for (const route of listed) {
      if (route.dst === 'default') {
        if (route.gateway) addresses.push({ address: route.gateway, what: 'the host\'s default gateway' });
      } else if (route.dev && !route.dst.startsWith('fe80:')) {
        routes.push({ dst: route.dst, dev: route.dev });
      }
    }
  }
  const lines = async (file: string) => (await readFile(file, 'utf8').catch(() => '')).split('\n').map((line) => line.replace(/#.*/, '').trim().split(/\s+/));
  for (const [keyword, address] of await lines('/etc/resolv.conf')) {
    if (keyword === 'nameserver' && isIP(address)) addresses.push({ address, what: 'a DNS server of the host\'s' });
  }
  for (const [address, ...names] of await lines('/etc/hosts')) {
    if (isIP(address) && !address.startsWith('127.') && address !== '::1') addresses.push({ address, what: `the host's address for ${names.join(' ')} (/etc/hosts)` });
  }
  return { routes, addresses };
}

/**
 * The bridges instances join, up and holding their gateways: made when this host has none yet,
 * as LXD does with lxdbr0, and taken away again by `removeUnused` once no instance is left. A
 * gateway whose prefix overlaps what the host reaches elsewhere is refused (CONFLICT), logged,
 * and reported by the agent's health until a bridge comes up right.
 */
export class HostBridges {
  private readonly refused = new Map<string, string>();

  constructor(
    /** Where the bridges this agent made are recorded: only those are ever removed. */
    private readonly recordDir: string,
    private readonly readUse: () => Promise<HostNetworkUse> = readHostNetworkUse,
    private readonly logger: { warn(message: string): void } = console,
  ) {}

  /** The bridge for `network`, with its gateways; idempotent. */
  async ensure(network: InstanceNetwork): Promise<void> {
    const { bridge } = network;
    const wanted = [[network.ipv4, network.gateway4], [network.ipv6, network.gateway6]]
      .filter((pair): pair is [string, string] => Boolean(pair[0] && pair[1]))
      .map(([address, gateway]) => `${gateway}/${address.split('/')[1]}`);
    const held = (await exists(bridge)) ? await addressesOf(bridge) : [];
    const missing = wanted.filter((prefix) => !held.includes(prefix));
    if (missing.length > 0) {
      const use = await this.readUse();
      const overlap = missing.map((prefix) => overlapWithHost(prefix, bridge, use)).find(Boolean);
      if (overlap) {
        const reason = `bridge ${bridge} refused: ${overlap}; give the pool a prefix this host does not use`;
        this.refused.set(bridge, reason);
        this.logger.warn(reason);
        throw AppError.conflict(reason);
      }
    }
    if (!(await exists(bridge))) {
      // Two instances starting at once may both find it missing: one adds it, the other finds it added.
      await runProgram('ip', ['link', 'add', 'name', bridge, 'type', 'bridge']).catch(async (error: Error) => {
        if (!(await exists(bridge))) throw error;
      });
      await mkdir(this.recordDir, { recursive: true });
      await writeFile(path.join(this.recordDir, bridge), '');
    }
    await runProgram('ip', ['link', 'set', 'dev', bridge, 'up']);
    for (const prefix of missing) {
      // IPv6 without duplicate address detection: the gateway is usable at once, not tentative for a second.
      await runProgram('ip', ['address', 'replace', prefix, 'dev', bridge, ...(prefix.includes(':') ? ['nodad'] : [])]);
    }
    this.refused.delete(bridge);
  }

  /** Why bridges were refused, for the agent's health. */
  problems(): string[] {
    return [...this.refused.values()];
  }

  /**
   * Removes the bridges this agent made that no instance is on (nothing attached: a stopped
   * instance has no tap or veth either, and its next start makes the bridge again). Returns them.
   */
  async removeUnused(): Promise<string[]> {
    const removed: string[] = [];
    for (const bridge of await readdir(this.recordDir).catch(() => [] as string[])) {
      if (await exists(bridge)) {
        if ((await runProgram('ip', ['-o', 'link', 'show', 'master', bridge])).trim()) continue;
        await runProgram('ip', ['link', 'delete', 'dev', bridge]);
      }
      await rm(path.join(this.recordDir, bridge), { force: true });
      removed.push(bridge);
    }
    return removed;
  }
}

/** The prefixes on an interface, as `address/length`. */
async function addressesOf(name: string): Promise<string[]> {
  const [link] = JSON.parse(await runProgram('ip', ['-json', 'address', 'show', 'dev', name])) as { addr_info?: { local: string; prefixlen: number }[] }[];
  return (link?.addr_info ?? []).map((a) => `${a.local}/${a.prefixlen}`);
}
