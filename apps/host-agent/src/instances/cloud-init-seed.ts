import { writeFile } from 'node:fs/promises';
import type { InstanceSpec } from '#libs/contracts';
import { macFor } from './instance-spec.js';
import { isoImage, type IsoFile } from './iso-image.js';

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
  const metaData = {
    'instance-id': spec.instanceId,
    'local-hostname': spec.name,
    ...(spec.sshKeys?.length ? { 'public-keys': spec.sshKeys } : {}),
  };
  const network = networkConfig(spec);
  const files: IsoFile[] = [
    { name: 'meta-data', data: Buffer.from(JSON.stringify(metaData, null, 2)) },
    // The customer's user data goes verbatim; without any, a minimal cloud-config.
    { name: 'user-data', data: Buffer.from(spec.userData ?? '#cloud-config\n{}\n') },
    ...(network ? [{ name: 'network-config', data: Buffer.from(JSON.stringify(network, null, 2)) }] : []),
  ];
  await writeFile(target, isoImage('cidata', files));
}
