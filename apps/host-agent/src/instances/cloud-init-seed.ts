import { mkdtemp, rm, writeFile } from 'node:fs/promises';
import os from 'node:os';
import path from 'node:path';
import type { InstanceSpec } from '#libs/contracts';
import { runProgram } from '../host/program.js';
import { macFor } from './instance-spec.js';

/** cloud-init network config v2 for the instance's one interface, matched by MAC. */
function networkConfig(spec: InstanceSpec): object | undefined {
  const network = spec.network;
  if (!network) return undefined;
  const addresses = [network.ipv4, network.ipv6].filter(Boolean);
  return {
    version: 2,
    ethernets: {
      eth0: {
        match: { macaddress: network.mac ?? macFor(spec.instanceId) },
        'set-name': 'eth0',
        addresses,
        ...(network.gateway4 ? { gateway4: network.gateway4 } : {}),
        ...(network.gateway6 ? { gateway6: network.gateway6 } : {}),
      },
    },
  };
}

/**
 * Builds the NoCloud seed (an ISO 9660 volume labelled `cidata`) that tells the guest its
 * hostname, SSH keys, static address and user data. The files are written as data and
 * JSON (which YAML readers accept): nothing in them is ever run on the host.
 */
export async function buildNoCloudSeed(spec: InstanceSpec, target: string): Promise<void> {
  const dir = await mkdtemp(path.join(os.tmpdir(), 'awan-seed-'));
  try {
    const metaData = {
      'instance-id': spec.instanceId,
      'local-hostname': spec.name,
      ...(spec.sshKeys?.length ? { 'public-keys': spec.sshKeys } : {}),
    };
    await writeFile(path.join(dir, 'meta-data'), JSON.stringify(metaData, null, 2));
    // The customer's user data goes verbatim; without any, a minimal cloud-config.
    await writeFile(path.join(dir, 'user-data'), spec.userData ?? '#cloud-config\n{}\n');
    const files = ['meta-data', 'user-data'];
    const network = networkConfig(spec);
    if (network) {
      await writeFile(path.join(dir, 'network-config'), JSON.stringify(network, null, 2));
      files.push('network-config');
    }
    await runProgram('genisoimage', ['-quiet', '-output', target, '-volid', 'cidata', '-joliet', '-rock', ...files.map((f) => path.join(dir, f))]);
  } finally {
    await rm(dir, { recursive: true, force: true });
  }
}
