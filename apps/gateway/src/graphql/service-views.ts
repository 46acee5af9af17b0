/**
 * What the gateway reads from the services' replies: the part of each service's view it shows.
 * The services own these shapes (compute's InstanceView, network's IpView…); billing's invoices
 * are in #libs/contracts, where both sides read them.
 */
export interface Page<T> {
  edges: { cursor: string; node: T }[];
  pageInfo: { hasNextPage: boolean; endCursor: string | null };
  totalCount?: number;
}

export interface InstanceView {
  id: string;
  accountId: string;
  name: string;
  kind: 'VM' | 'CONTAINER';
  status: string;
  regionId: string;
  planId: string;
  imageId: string;
  billingCycle: string;
  hostId: string | null;
  fqdn: string;
  createdAt: string;
}

export interface IpView {
  id: string;
  address: string;
  family: 'IPV4' | 'IPV6';
  regionId: string;
  accountId: string;
  instanceId: string | null;
  floating: boolean;
  reverseDns: string | null;
}

export interface RegionView {
  id: string;
  name: string;
  dnsZone: string;
}

export interface PlanView {
  id: string;
  name: string;
  kind: 'VM' | 'CONTAINER';
  vcpus: number;
  memoryMb: number;
  diskGb: number;
}

export interface ImageView {
  id: string;
  name: string;
  os: string;
  version: string;
  kind: 'VM' | 'CONTAINER';
}

export interface HostView {
  id: string;
  name: string;
  regionId: string;
  status: string;
}

export interface PriceView {
  sku: string;
  currency: string;
  hourlyPrice: string;
  monthlyPrice: string;
}
