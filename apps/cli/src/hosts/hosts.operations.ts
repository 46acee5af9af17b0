import type { InstanceKind } from '../catalog/catalog.operations.js';
import { operation, type NoVariables } from '../graphql/operation.js';

export interface Host {
  id: string;
  name: string;
  region: { id: string };
  status: string;
  kinds: InstanceKind[];
  vcpus: number;
  memoryMb: number;
  diskGb: number;
  allocatedVcpus: number;
  allocatedMemoryMb: number;
  allocatedDiskGb: number;
  lastHeartbeatAt: string | null;
}

const HOST = 'id name region { id } status kinds vcpus memoryMb diskGb allocatedVcpus allocatedMemoryMb allocatedDiskGb lastHeartbeatAt';

export const hosts = operation<NoVariables, { hosts: Host[] }>(`query Hosts { hosts { ${HOST} } }`);

export const enrollHost = operation<{ input: { id: string; regionId: string } }, { enrollHost: { host: Host; credentials: string } }>(
  `mutation EnrollHost($input: EnrollHostInput!) { enrollHost(input: $input) { host { ${HOST} } credentials } }`,
);

/** Beyond the contract (the gateway's host-enrolment.resolver.ts): the host leaves for good. */
export const retireHost = operation<{ id: string }, { retireHost: Host }>(`mutation RetireHost($id: ID!) { retireHost(id: $id) { ${HOST} } }`);

export const setHostMaintenance = operation<{ id: string; maintenance: boolean }, { setHostMaintenance: Host }>(
  `mutation SetHostMaintenance($id: ID!, $maintenance: Boolean!) { setHostMaintenance(id: $id, maintenance: $maintenance) { ${HOST} } }`,
);
