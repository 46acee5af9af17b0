import { operation } from '../graphql/operation.js';

export interface IpPool {
  id: string;
  region: { id: string };
  family: string;
  cidr: string;
  gateway: string | null;
  bridge: string;
  /** A decimal string: an IPv6 pool holds more than a JavaScript number counts exactly. */
  size: string;
  used: number;
  retiredAt: string | null;
}

const POOL = 'id region { id } family cidr gateway bridge size used retiredAt';

export const ipPools = operation<{ regionId?: string }, { ipPools: IpPool[] }>(`query IpPools($regionId: ID) { ipPools(regionId: $regionId) { ${POOL} } }`);

export interface CreateIpPoolInput {
  regionId: string;
  cidr: string;
  bridge: string;
  gateway?: string;
  assignmentLength?: number;
  reserved?: string[];
}
export const createIpPool = operation<{ input: CreateIpPoolInput }, { createIpPool: IpPool }>(
  `mutation CreateIpPool($input: CreateIpPoolInput!) { createIpPool(input: $input) { ${POOL} } }`,
);
export const retireIpPool = operation<{ id: string }, { retireIpPool: IpPool }>(`mutation RetireIpPool($id: ID!) { retireIpPool(id: $id) { ${POOL} } }`);
