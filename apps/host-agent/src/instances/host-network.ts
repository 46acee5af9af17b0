import { createHash } from 'node:crypto';
import { isIP } from 'node:net';
import type { InstanceNetwork } from '#libs/contracts';
import { runProgram } from '../host/program.js';

/**
 * The host side of instance networking: the region's bridge holding the gateway addresses,
 * and a VM's tap on it. Containers join the bridge through the veth LXC makes.
 */

/**
 * A VM's tap interface on this host: `awt` + 12 hex digits, within Linux's 15-character limit.
 * The host is part of the name: during a live migration between two hosts of one machine, both
 * QEMUs hold a tap for the VM at once.
 */
export function tapName(hostId: string, instanceId: string): string {
  return `awt${createHash('sha256').update(`${hostId}/${instanceId}`).digest('hex').slice(0, 12)}`;
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

/**
 * The bridge an instance joins, up and holding its gateways (made when this host has none yet,
 * as LXD does with lxdbr0); idempotent. The gateway takes the instance's on-link prefix length.
 */
export async function ensureBridge(network: InstanceNetwork): Promise<void> {
  const { bridge } = network;
  if (!(await exists(bridge))) {
    // Two instances starting at once may both find it missing: one adds it, the other finds it added.
    await runProgram('ip', ['link', 'add', 'name', bridge, 'type', 'bridge']).catch(async (error: Error) => {
      if (!(await exists(bridge))) throw error;
    });
  }
  await runProgram('ip', ['link', 'set', 'dev', bridge, 'up']);
  for (const [address, gateway] of [[network.ipv4, network.gateway4], [network.ipv6, network.gateway6]]) {
    if (!address || !gateway) continue;
    const length = address.split('/')[1];
    // IPv6 without duplicate address detection: the gateway is usable at once, not tentative for a second.
    await runProgram('ip', ['address', 'replace', `${gateway}/${length}`, 'dev', bridge, ...(isIP(gateway) === 6 ? ['nodad'] : [])]);
  }
}
