import { operation, type Connection, type PageVariables } from '../graphql/operation.js';

export type IpFamily = 'IPV4' | 'IPV6';

export interface IpAddress {
  id: string;
  address: string;
  family: IpFamily;
  region: { id: string };
  instance: { id: string; name: string } | null;
  floating: boolean;
  reverseDns: string | null;
}

const IP = 'id address family region { id } instance { id name } floating reverseDns';

export const ipAddresses = operation<PageVariables & { instanceId?: string }, { ipAddresses: Connection<IpAddress> }>(
  `query IpAddresses($first: Int, $after: String, $instanceId: ID) {
    ipAddresses(first: $first, after: $after, instanceId: $instanceId) { edges { cursor node { ${IP} } } pageInfo { hasNextPage endCursor } totalCount }
  }`,
);

export const allocateIp = operation<{ input: { regionId: string; family: IpFamily; instanceId?: string } }, { allocateIp: IpAddress }>(
  `mutation AllocateIp($input: AllocateIpInput!) { allocateIp(input: $input) { ${IP} } }`,
);
export const assignIp = operation<{ ipId: string; instanceId: string }, { assignIp: IpAddress }>(
  `mutation AssignIp($ipId: ID!, $instanceId: ID!) { assignIp(ipId: $ipId, instanceId: $instanceId) { ${IP} } }`,
);
export const unassignIp = operation<{ ipId: string }, { unassignIp: IpAddress }>(`mutation UnassignIp($ipId: ID!) { unassignIp(ipId: $ipId) { ${IP} } }`);
export const releaseIp = operation<{ ipId: string }, { releaseIp: IpAddress }>(`mutation ReleaseIp($ipId: ID!) { releaseIp(ipId: $ipId) { ${IP} } }`);
export const setReverseDns = operation<{ ipId: string; hostname: string }, { setReverseDns: IpAddress }>(
  `mutation SetReverseDns($ipId: ID!, $hostname: String!) { setReverseDns(ipId: $ipId, hostname: $hostname) { ${IP} } }`,
);
