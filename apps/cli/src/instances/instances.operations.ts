import type { InstanceKind } from '../catalog/catalog.operations.js';
import { operation, type Connection, type Money, type PageVariables } from '../graphql/operation.js';

export const INSTANCE_STATUSES = [
  'PENDING', 'PROVISIONING', 'STARTING', 'RUNNING', 'STOPPING', 'STOPPED', 'REBOOTING', 'RESIZING', 'MIGRATING', 'RESTORING', 'DELETING', 'DELETED', 'ERROR',
] as const;
export type InstanceStatus = (typeof INSTANCE_STATUSES)[number];
export type BillingCycle = 'HOURLY' | 'MONTHLY';

export interface InstanceAddress {
  id: string;
  address: string;
  family: string;
  floating: boolean;
}

export interface Instance {
  id: string;
  name: string;
  kind: InstanceKind;
  status: InstanceStatus;
  account: { id: string; name: string };
  region: { id: string };
  plan: { id: string };
  image: { id: string };
  billingCycle: BillingCycle;
  fqdn: string;
  ipAddresses: InstanceAddress[];
  createdAt: string;
}

/** One instance as `get` shows it: with its host (ADMIN's only) and its cost this period (rated by billing, so only here). */
export interface InstanceDetail extends Instance {
  host: { id: string } | null;
  costToDate: Money;
}

export interface InstanceEvent {
  id: string;
  type: string;
  occurredAt: string;
  /** The event's data as JSON text. */
  data: string;
}

/** What a wait follows. */
export interface InstanceState {
  id: string;
  name: string;
  status: InstanceStatus;
  plan: { id: string };
}

const INSTANCE = 'id name kind status account { id name } region { id } plan { id } image { id } billingCycle fqdn ipAddresses { id address family floating } createdAt';
const DETAIL = `${INSTANCE} host { id } costToDate { amount currency }`;
const STATE = 'id name status plan { id }';

export interface InstanceFilters {
  status?: InstanceStatus;
  accountId?: string;
  includeDeleted?: boolean;
}

export const instances = operation<PageVariables & InstanceFilters, { instances: Connection<Instance> }>(
  `query Instances($first: Int, $after: String, $status: InstanceStatus, $accountId: ID, $includeDeleted: Boolean) {
    instances(first: $first, after: $after, status: $status, accountId: $accountId, includeDeleted: $includeDeleted) {
      edges { cursor node { ${INSTANCE} } } pageInfo { hasNextPage endCursor } totalCount
    }
  }`,
);

export const instance = operation<{ id: string }, { instance: InstanceDetail | null }>(`query Instance($id: ID!) { instance(id: $id) { ${DETAIL} } }`);

export const instanceState = operation<{ id: string }, { instance: InstanceState | null }>(`query InstanceState($id: ID!) { instance(id: $id) { ${STATE} } }`);

export const instanceUpdated = operation<{ id: string }, { instanceUpdated: InstanceState }>(
  `subscription InstanceUpdated($id: ID) { instanceUpdated(id: $id) { ${STATE} } }`,
);

export const instanceHistory = operation<PageVariables & { id: string }, { instance: { id: string; history: Connection<InstanceEvent> } | null }>(
  `query InstanceHistory($id: ID!, $first: Int, $after: String) {
    instance(id: $id) { id history(first: $first, after: $after) { edges { cursor node { id type occurredAt data } } pageInfo { hasNextPage endCursor } } }
  }`,
);

export interface CreateInstanceInput {
  name: string;
  kind: InstanceKind;
  imageId: string;
  planId: string;
  regionId: string;
  billingCycle: BillingCycle;
  sshKeys?: string[];
  userData?: string;
  idempotencyKey?: string;
}
export const createInstance = operation<{ input: CreateInstanceInput }, { createInstance: Instance }>(
  `mutation CreateInstance($input: CreateInstanceInput!) { createInstance(input: $input) { ${INSTANCE} } }`,
);

export const startInstance = operation<{ id: string }, { startInstance: Instance }>(`mutation StartInstance($id: ID!) { startInstance(id: $id) { ${INSTANCE} } }`);
export const stopInstance = operation<{ id: string; force?: boolean }, { stopInstance: Instance }>(
  `mutation StopInstance($id: ID!, $force: Boolean) { stopInstance(id: $id, force: $force) { ${INSTANCE} } }`,
);
export const rebootInstance = operation<{ id: string }, { rebootInstance: Instance }>(`mutation RebootInstance($id: ID!) { rebootInstance(id: $id) { ${INSTANCE} } }`);
export const resizeInstance = operation<{ id: string; planId: string }, { resizeInstance: Instance }>(
  `mutation ResizeInstance($id: ID!, $planId: ID!) { resizeInstance(id: $id, planId: $planId) { ${INSTANCE} } }`,
);
export const deleteInstance = operation<{ id: string }, { deleteInstance: Instance }>(`mutation DeleteInstance($id: ID!) { deleteInstance(id: $id) { ${INSTANCE} } }`);

export type ConsoleKind = 'SERIAL' | 'VNC';
export const openConsole = operation<{ instanceId: string; kind?: ConsoleKind }, { openConsole: { url: string; kind: ConsoleKind; expiresAt: string } }>(
  `mutation OpenConsole($instanceId: ID!, $kind: ConsoleKind) { openConsole(instanceId: $instanceId, kind: $kind) { url kind expiresAt } }`,
);
