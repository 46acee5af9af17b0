import { createHash } from 'node:crypto';
import { readFileSync, readlinkSync } from 'node:fs';
import { mkdir, readdir, readFile, rm, writeFile } from 'node:fs/promises';
import { BlockList, isIP } from 'node:net';
import path from 'node:path';
import { AppError, type InstanceNetwork, type InstanceSpec } from '#libs/contracts';
import { runProgram } from '../host/program.js';
import { isInterfaceName } from './instance-spec.js';

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

const IFF_UP = 0x1;

/**
 * An interface as the kernel has it now, read from sysfs (no program run); null where there is none.
 * Read in place: sysfs is the kernel's memory, and a read queued on libuv's threadpool waited there
 * behind a new instance's disk and seed being written (some 3 ms of its create).
 */
function linkOf(name: string): { ifindex: number; up: boolean; master: string | null } | null {
  if (!isInterfaceName(name)) throw new Error(`not an interface name: ${JSON.stringify(name)}`);
  const dir = path.join('/sys/class/net', name);
  const read = (file: string) => {
    try {
      return readFileSync(path.join(dir, file), 'utf8');
    } catch (error) {
      if ((error as NodeJS.ErrnoException).code === 'ENOENT') return null;
      throw error;
    }
  };
  const [ifindex, flags] = [read('ifindex'), read('flags')];
  if (ifindex === null || flags === null) return null;
  let master: string | null = null;
  try {
    master = path.basename(readlinkSync(path.join(dir, 'master')));
  } catch {
    // no master: on no bridge
  }
  return { ifindex: Number(ifindex), up: (Number.parseInt(flags, 16) & IFF_UP) !== 0, master };
}

const exists = (name: string) => linkOf(name) !== null;

/** A word of an `ip -batch` line: what validated names, addresses and keywords are made of, so no word quotes, comments or ends a line. */
const BATCH_WORD = /^[A-Za-z0-9_.:/-]+$/;

/** `commands` as one `ip -batch` (one process for all), stopping at the first that fails; nothing to do runs nothing. */
async function ipBatch(commands: string[][]): Promise<void> {
  if (commands.length === 0) return;
  const bad = commands.flat().find((word) => !BATCH_WORD.test(word));
  if (bad !== undefined) throw new Error(`not an ip batch word: ${JSON.stringify(bad)}`);
  await runProgram('ip', ['-batch', '-'], { input: `${commands.map((words) => words.join(' ')).join('\n')}\n` });
}

/** What puts the tap on `bridge`, up, from how it is now (`link`). */
function tapCommands(name: string, bridge: string): string[][] {
  const link = linkOf(name);
  return [
    ...(link ? [] : [['tuntap', 'add', 'dev', name, 'mode', 'tap']]),
    ...(link?.up && link.master === bridge ? [] : [['link', 'set', 'dev', name, 'master', bridge, 'up']]),
  ];
}

/** Creates the tap on `bridge` (again after a host restart); idempotent, and runs nothing where it is so already. */
export async function ensureTap(name: string, bridge: string): Promise<void> {
  await ipBatch(tapCommands(name, bridge));
}

export async function removeTap(name: string): Promise<void> {
  if (exists(name)) await runProgram('ip', ['link', 'delete', 'dev', name]);
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
  /** The gateways each bridge holds or was cleared to take (the host's routes checked), while it is the same interface. */
  private readonly cleared = new Map<string, { ifindex: number; prefixes: Set<string> }>();

  constructor(
    /** Where the bridges this agent made are recorded: only those are ever removed. */
    private readonly recordDir: string,
    private readonly readUse: () => Promise<HostNetworkUse> = readHostNetworkUse,
    private readonly logger: { warn(message: string): void } = console,
  ) {}

  /**
   * The bridge for `network`, up with its gateways, and `tap` (a VM's) on it, made with one
   * `ip -batch`; idempotent. A gateway it does not hold yet is checked against the host's routes
   * first, once while the bridge stays the same interface.
   */
  async ensure(network: InstanceNetwork, tap?: string): Promise<void> {
    const { bridge } = network;
    const wanted = [[network.ipv4, network.gateway4], [network.ipv6, network.gateway6]]
      .filter((pair): pair is [string, string] => Boolean(pair[0] && pair[1]))
      .map(([address, gateway]) => `${gateway}/${address.split('/')[1]}`);
    const link = linkOf(bridge);
    const cleared = this.cleared.get(bridge);
    const known = link && cleared?.ifindex === link.ifindex ? cleared.prefixes : new Set<string>();
    let unchecked = wanted.filter((prefix) => !known.has(prefix));
    if (unchecked.length > 0 && link) {
      const held = await addressesOf(bridge);
      unchecked = unchecked.filter((prefix) => !held.includes(prefix));
    }
    if (unchecked.length > 0) {
      const use = await this.readUse();
      const overlap = unchecked.map((prefix) => overlapWithHost(prefix, bridge, use)).find(Boolean);
      if (overlap) {
        const reason = `bridge ${bridge} refused: ${overlap}; give the pool a prefix this host does not use`;
        this.refused.set(bridge, reason);
        this.logger.warn(reason);
        throw AppError.conflict(reason);
      }
    }
    if (!link) {
      // Recorded first: a bridge this agent adds is one it may remove, whatever fails after.
      await mkdir(this.recordDir, { recursive: true });
      await writeFile(path.join(this.recordDir, bridge), '');
    }
    const commands = [
      ...(link ? [] : [['link', 'add', 'name', bridge, 'type', 'bridge']]),
      ...(link?.up ? [] : [['link', 'set', 'dev', bridge, 'up']]),
      // Every gateway put on again (replace changes nothing where it is), so one taken off meanwhile is back;
      // IPv6 without duplicate address detection: the gateway is usable at once, not tentative for a second.
      ...wanted.map((prefix) => ['address', 'replace', prefix, 'dev', bridge, ...(prefix.includes(':') ? ['nodad'] : [])]),
      ...(tap ? tapCommands(tap, bridge) : []),
    ];
    try {
      await ipBatch(commands);
    } catch (error) {
      // Two instances starting at once may both find the bridge missing: one adds it, the other looks again and finds it added.
      if (link || !exists(bridge)) throw error;
      return this.ensure(network, tap);
    }
    const made = link ?? linkOf(bridge);
    if (made) this.cleared.set(bridge, { ifindex: made.ifindex, prefixes: new Set([...known, ...wanted]) });
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
      if (exists(bridge)) {
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
