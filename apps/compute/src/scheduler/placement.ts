import type { HostStatus, InstanceKind } from '#libs/contracts';

export interface Resources {
  vcpus: number;
  memoryMb: number;
  diskGb: number;
}

export interface HostCandidate {
  hostId: string;
  regionId: string;
  status: HostStatus;
  kinds: InstanceKind[];
  capacity: Resources;
  /** Overcommit: how many times its capacity a host may promise (CPU 4.0, memory and disk 1.0 by default). */
  ratios: { cpu: number; memory: number; disk: number };
  reserved: Resources;
}

export interface PlacementRequest extends Resources {
  regionId: string;
  kind: InstanceKind;
}

/** What a host may promise in all: its capacity times its overcommit ratio, rounded down. */
export function limits(host: HostCandidate): Resources {
  return {
    vcpus: Math.floor(host.capacity.vcpus * host.ratios.cpu),
    memoryMb: Math.floor(host.capacity.memoryMb * host.ratios.memory),
    diskGb: Math.floor(host.capacity.diskGb * host.ratios.disk),
  };
}

export function fits(host: HostCandidate, need: Resources): boolean {
  const limit = limits(host);
  return (
    host.reserved.vcpus + need.vcpus <= limit.vcpus &&
    host.reserved.memoryMb + need.memoryMb <= limit.memoryMb &&
    host.reserved.diskGb + need.diskGb <= limit.diskGb
  );
}

/** The share of a host's memory, then CPU, still free after placing `need`: the spread weight. */
function freeAfter(host: HostCandidate, need: Resources): [number, number] {
  const limit = limits(host);
  return [
    (limit.memoryMb - host.reserved.memoryMb - need.memoryMb) / limit.memoryMb,
    (limit.vcpus - host.reserved.vcpus - need.vcpus) / limit.vcpus,
  ];
}

/**
 * The hosts that can take the request, best first: filtered by region, status (UP only: not
 * DOWN, not in maintenance), kind and free capacity; weighed to spread instances out.
 */
export function rankHosts(hosts: readonly HostCandidate[], request: PlacementRequest): HostCandidate[] {
  return hosts
    .filter((h) => h.regionId === request.regionId && h.status === 'UP' && h.kinds.includes(request.kind) && fits(h, request))
    .map((host) => ({ host, weight: freeAfter(host, request) }))
    .sort((a, b) => b.weight[0] - a.weight[0] || b.weight[1] - a.weight[1] || a.host.hostId.localeCompare(b.host.hostId))
    .map(({ host }) => host);
}
