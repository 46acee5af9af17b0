/* eslint-disable */
/** Internal type. DO NOT USE DIRECTLY. */
type Exact<T extends { [key: string]: unknown }> = { [K in keyof T]: T[K] };
/** Internal type. DO NOT USE DIRECTLY. */
export type Incremental<T> = T | { [P in keyof T]?: P extends ' $fragmentName' | '__typename' ? T[P] : never };
import type { DocumentTypeDecoration } from '@graphql-typed-document-node/core';
export type AccountKind =
  | 'CUSTOMER'
  | 'PLATFORM'
  | 'RESELLER';

export type AccountStatus =
  | 'ACTIVE'
  | 'CLOSED'
  | 'PAST_DUE'
  | 'SUSPENDED';

export type AllocateIpInput = {
  family: IpFamily;
  instanceId?: string | number | null | undefined;
  regionId: string | number;
};

export type BackupScheduleInput = {
  hourUtc: number;
  keep: number;
};

export type BackupStatus =
  | 'AVAILABLE'
  | 'CREATING'
  | 'DELETED'
  | 'DELETING'
  | 'ERROR';

export type BillingCycle =
  | 'HOURLY'
  | 'MONTHLY';

export type CreateAccountInput = {
  currency?: string | null | undefined;
  email?: string | null | undefined;
  kind: AccountKind;
  name: string;
  /** defaults to the caller's account for a RESELLER caller */
  parentId?: string | number | null | undefined;
  taxRate?: string | null | undefined;
};

export type CreateApiKeyInput = {
  accountId: string | number;
  name: string;
  role: Role;
};

export type CreateFirewallInput = {
  instanceIds?: Array<string | number> | null | undefined;
  name: string;
  rules: Array<FirewallRuleInput>;
};

export type CreateInstanceInput = {
  billingCycle: BillingCycle;
  /** the same key within 24 hours returns the first call's instance and creates nothing */
  idempotencyKey?: string | null | undefined;
  imageId: string | number;
  kind: InstanceKind;
  name: string;
  planId: string | number;
  regionId: string | number;
  sshKeys?: Array<string> | null | undefined;
  userData?: string | null | undefined;
};

export type CreateRegionInput = {
  dnsZone: string;
  id: string | number;
  name: string;
};

export type FirewallDirection =
  | 'EGRESS'
  | 'INGRESS';

export type FirewallProtocol =
  | 'ICMP'
  | 'TCP'
  | 'UDP';

export type FirewallRuleInput = {
  addresses: Array<string>;
  description?: string | null | undefined;
  direction: FirewallDirection;
  ports?: string | null | undefined;
  protocol: FirewallProtocol;
};

export type HostStatus =
  | 'DOWN'
  | 'MAINTENANCE'
  | 'UP';

export type ImageStatus =
  | 'AVAILABLE'
  | 'ERROR'
  | 'IMPORTING'
  | 'RETIRED';

export type InstanceKind =
  | 'CONTAINER'
  | 'VM';

export type InstanceStatus =
  | 'DELETED'
  | 'DELETING'
  | 'ERROR'
  | 'MIGRATING'
  | 'PENDING'
  | 'PROVISIONING'
  | 'REBOOTING'
  | 'RESIZING'
  | 'RESTORING'
  | 'RUNNING'
  | 'STARTING'
  | 'STOPPED'
  | 'STOPPING';

export type InvoiceStatus =
  | 'DRAFT'
  | 'FINALIZED'
  | 'PAID'
  | 'VOID';

export type IpFamily =
  | 'IPV4'
  | 'IPV6';

export type IssueCreditNoteInput = {
  amount: string;
  invoiceId: string | number;
  reason: string;
};

export type PlanPriceInput = {
  currency: string;
  hourlyPrice: string;
  monthlyPrice: string;
};

/** source: an http(s) URL, or a path on the region's shared image storage, of a qcow2 or raw disk (VM) or a rootfs tarball (container); it is fetched once and checked against sha256. */
export type RegisterImageInput = {
  id: string | number;
  kind: InstanceKind;
  name: string;
  os: string;
  sha256: string;
  source: string;
  version: string;
};

/** Without name, the backup's own instance is restored in place (it must be STOPPED; it passes through RESTORING back to STOPPED). With name, a new instance of the caller's account is made from it (planId defaults to the backup's plan; it may be larger, never smaller). */
export type RestoreBackupInput = {
  name?: string | null | undefined;
  planId?: string | number | null | undefined;
  regionId?: string | number | null | undefined;
};

export type Role =
  | 'ADMIN'
  | 'CUSTOMER'
  | 'FINANCE'
  | 'RESELLER';

/** prices: the platform's price in each currency the plan is sold in (at least one); a plan is offered only to accounts whose currency it has a price in */
export type SavePlanInput = {
  diskGb: number;
  id: string | number;
  kind: InstanceKind;
  memoryMb: number;
  name: string;
  prices: Array<PlanPriceInput>;
  vcpus: number;
};

export type SetPriceInput = {
  /** the reseller whose customers pay this price; defaults to the caller */
  accountId?: string | number | null | undefined;
  hourlyPrice: string;
  monthlyPrice: string;
  planId: string | number;
};

export type SnapshotStatus =
  | 'AVAILABLE'
  | 'CREATING'
  | 'DELETED'
  | 'DELETING'
  | 'ERROR';

export type DeskInvoiceQueryVariables = Exact<{
  id: string | number;
}>;


export type DeskInvoiceQuery = { invoice: { id: string, number: string | null, status: InvoiceStatus, currency: string, periodStart: string, periodEnd: string, issuedAt: string | null, paidAt: string | null, account: { id: string, name: string }, subtotal: { amount: string, currency: string }, tax: { amount: string, currency: string }, total: { amount: string, currency: string }, lines: Array<{ id: string, description: string, resourceId: string | null, resourceType: string, sku: string, quantity: string, unit: string, periodStart: string, periodEnd: string, unitPrice: { amount: string, currency: string }, amount: { amount: string, currency: string }, usage: Array<{ resourceId: string, sku: string, state: string, startedAt: string, endedAt: string | null, seconds: number }> }>, creditNotes: Array<{ id: string, number: string, reason: string, issuedAt: string, amount: { amount: string, currency: string } }> } | null };

export type DeskFinalizeInvoiceMutationVariables = Exact<{
  id: string | number;
}>;


export type DeskFinalizeInvoiceMutation = { finalizeInvoice: { id: string } };

export type DeskMarkInvoicePaidMutationVariables = Exact<{
  id: string | number;
  reference: string;
}>;


export type DeskMarkInvoicePaidMutation = { markInvoicePaid: { id: string } };

export type DeskVoidInvoiceMutationVariables = Exact<{
  id: string | number;
  reason: string;
}>;


export type DeskVoidInvoiceMutation = { voidInvoice: { id: string } };

export type DeskIssueCreditNoteMutationVariables = Exact<{
  input: IssueCreditNoteInput;
}>;


export type DeskIssueCreditNoteMutation = { issueCreditNote: { id: string, number: string } };

export type SegmentHistoryQueryVariables = Exact<{
  id: string | number;
  after?: string | null | undefined;
}>;


export type SegmentHistoryQuery = { instance: { id: string, history: { pageInfo: { hasNextPage: boolean, endCursor: string | null }, edges: Array<{ node: { id: string, type: string, occurredAt: string } }> } } | null };

export type DeskInvoicesQueryVariables = Exact<{
  after?: string | null | undefined;
}>;


export type DeskInvoicesQuery = { invoices: { totalCount: number, pageInfo: { hasNextPage: boolean, endCursor: string | null }, edges: Array<{ node: { id: string, number: string | null, status: InvoiceStatus, periodStart: string, periodEnd: string, total: { amount: string, currency: string }, account: { id: string, name: string } } }> } };

export type OpenConsoleMutationVariables = Exact<{
  instanceId: string | number;
}>;


export type OpenConsoleMutation = { openConsole: { url: string, expiresAt: string } };

export type OpenVncConsoleMutationVariables = Exact<{
  instanceId: string | number;
}>;


export type OpenVncConsoleMutation = { openConsole: { url: string, expiresAt: string } };

export type CreateApiKeyMutationVariables = Exact<{
  input: CreateApiKeyInput;
}>;


export type CreateApiKeyMutation = { createApiKey: { secret: string, apiKey: { id: string, name: string, role: Role, createdAt: string, lastUsedAt: string | null } } };

export type RevokeApiKeyMutationVariables = Exact<{
  id: string | number;
}>;


export type RevokeApiKeyMutation = { revokeApiKey: { id: string } };

export type AdminAccountsQueryVariables = Exact<{
  after?: string | null | undefined;
}>;


export type AdminAccountsQuery = { accounts: { totalCount: number, pageInfo: { hasNextPage: boolean, endCursor: string | null }, edges: Array<{ node: { id: string, name: string, kind: AccountKind, status: AccountStatus, currency: string, email: string | null, parent: { id: string, name: string } | null } }> } };

export type AdminCreateAccountMutationVariables = Exact<{
  input: CreateAccountInput;
}>;


export type AdminCreateAccountMutation = { createAccount: { account: { id: string, name: string, kind: AccountKind, status: AccountStatus, currency: string, email: string | null, parent: { id: string, name: string } | null }, apiKey: { secret: string, apiKey: { role: Role } } } };

export type AdminHostsQueryVariables = Exact<{ [key: string]: never; }>;


export type AdminHostsQuery = { hosts: Array<{ id: string, name: string, status: HostStatus, kinds: Array<InstanceKind>, vcpus: number, memoryMb: number, diskGb: number, allocatedVcpus: number, allocatedMemoryMb: number, allocatedDiskGb: number, lastHeartbeatAt: string | null, region: { id: string, name: string } }> };

export type SetHostMaintenanceMutationVariables = Exact<{
  id: string | number;
  maintenance: boolean;
}>;


export type SetHostMaintenanceMutation = { setHostMaintenance: { id: string, status: HostStatus } };

export type AdminImagesQueryVariables = Exact<{ [key: string]: never; }>;


export type AdminImagesQuery = { images: Array<{ id: string, name: string, os: string, version: string, kind: InstanceKind, status: ImageStatus, sizeMb: number | null }> };

export type RegisterImageMutationVariables = Exact<{
  input: RegisterImageInput;
}>;


export type RegisterImageMutation = { registerImage: { id: string, name: string, os: string, version: string, kind: InstanceKind, status: ImageStatus, sizeMb: number | null } };

export type AdminIpPoolsQueryVariables = Exact<{ [key: string]: never; }>;


export type AdminIpPoolsQuery = { ipPools: Array<{ id: string, family: IpFamily, cidr: string, gateway: string | null, bridge: string, size: string, used: number, retiredAt: string | null, region: { id: string, name: string } }> };

export type AdminPlansQueryVariables = Exact<{ [key: string]: never; }>;


export type AdminPlansQuery = { me: { currency: string }, plans: Array<{ id: string, name: string, kind: InstanceKind, vcpus: number, memoryMb: number, diskGb: number, retired: boolean, hourlyPrice: { amount: string, currency: string }, monthlyPrice: { amount: string, currency: string } }> };

export type SavePlanMutationVariables = Exact<{
  input: SavePlanInput;
}>;


export type SavePlanMutation = { savePlan: { id: string, name: string, kind: InstanceKind, vcpus: number, memoryMb: number, diskGb: number, retired: boolean, hourlyPrice: { amount: string, currency: string }, monthlyPrice: { amount: string, currency: string } } };

export type RetirePlanMutationVariables = Exact<{
  id: string | number;
}>;


export type RetirePlanMutation = { retirePlan: { id: string, retired: boolean } };

export type AdminRegionsQueryVariables = Exact<{ [key: string]: never; }>;


export type AdminRegionsQuery = { regions: Array<{ id: string, name: string, dnsZone: string }> };

export type CreateRegionMutationVariables = Exact<{
  input: CreateRegionInput;
}>;


export type CreateRegionMutation = { createRegion: { id: string, name: string, dnsZone: string } };

export type CreateChoicesQueryVariables = Exact<{
  kind?: InstanceKind | null | undefined;
}>;


export type CreateChoicesQuery = { images: Array<{ id: string, name: string, os: string, version: string, status: ImageStatus }>, plans: Array<{ id: string, name: string, vcpus: number, memoryMb: number, diskGb: number, retired: boolean, hourlyPrice: { amount: string, currency: string }, monthlyPrice: { amount: string, currency: string } }>, regions: Array<{ id: string, name: string }> };

export type CreateInstanceMutationVariables = Exact<{
  input: CreateInstanceInput;
}>;


export type CreateInstanceMutation = { createInstance: { id: string } };

export type InstanceQueryVariables = Exact<{
  id: string | number;
}>;


export type InstanceQuery = { instance: { id: string, name: string, kind: InstanceKind, status: InstanceStatus, fqdn: string, createdAt: string, billingCycle: BillingCycle, region: { name: string }, plan: { name: string, vcpus: number, memoryMb: number, diskGb: number, hourlyPrice: { amount: string, currency: string } }, image: { name: string, os: string, version: string }, ipAddresses: Array<{ id: string, address: string, family: IpFamily }>, costToDate: { amount: string, currency: string } } | null };

export type StartInstanceMutationVariables = Exact<{
  id: string | number;
}>;


export type StartInstanceMutation = { startInstance: { id: string, status: InstanceStatus } };

export type StopInstanceMutationVariables = Exact<{
  id: string | number;
}>;


export type StopInstanceMutation = { stopInstance: { id: string, status: InstanceStatus } };

export type DeleteInstanceMutationVariables = Exact<{
  id: string | number;
}>;


export type DeleteInstanceMutation = { deleteInstance: { id: string, status: InstanceStatus } };

export type TabBackupsQueryVariables = Exact<{
  id: string | number;
}>;


export type TabBackupsQuery = { instance: { id: string, backupSchedule: { hourUtc: number, keep: number } | null, backups: { totalCount: number, edges: Array<{ node: { id: string, status: BackupStatus, sizeMb: number | null, scheduled: boolean, createdAt: string } }> } } | null };

export type TabCreateBackupMutationVariables = Exact<{
  instanceId: string | number;
}>;


export type TabCreateBackupMutation = { createBackup: { id: string, status: BackupStatus } };

export type TabDeleteBackupMutationVariables = Exact<{
  id: string | number;
}>;


export type TabDeleteBackupMutation = { deleteBackup: { id: string, status: BackupStatus } };

export type TabRestoreBackupMutationVariables = Exact<{
  id: string | number;
  input?: RestoreBackupInput | null | undefined;
}>;


export type TabRestoreBackupMutation = { restoreBackup: { id: string } };

export type TabSetBackupScheduleMutationVariables = Exact<{
  instanceId: string | number;
  schedule?: BackupScheduleInput | null | undefined;
}>;


export type TabSetBackupScheduleMutation = { setBackupSchedule: { id: string, backupSchedule: { hourUtc: number, keep: number } | null } };

export type TabFirewallsQueryVariables = Exact<{
  id: string | number;
}>;


export type TabFirewallsQuery = { instance: { id: string, firewalls: Array<{ id: string }> } | null, firewalls: { edges: Array<{ node: { id: string, name: string, rules: Array<{ direction: FirewallDirection, protocol: FirewallProtocol, ports: string | null, addresses: Array<string>, description: string | null }>, instances: Array<{ id: string }> } }> } };

export type TabAttachFirewallMutationVariables = Exact<{
  id: string | number;
  instanceId: string | number;
}>;


export type TabAttachFirewallMutation = { attachFirewall: { id: string } };

export type TabDetachFirewallMutationVariables = Exact<{
  id: string | number;
  instanceId: string | number;
}>;


export type TabDetachFirewallMutation = { detachFirewall: { id: string } };

export type TabCreateFirewallMutationVariables = Exact<{
  input: CreateFirewallInput;
}>;


export type TabCreateFirewallMutation = { createFirewall: { id: string } };

export type TabSetFirewallRulesMutationVariables = Exact<{
  id: string | number;
  rules: Array<FirewallRuleInput> | FirewallRuleInput;
}>;


export type TabSetFirewallRulesMutation = { setFirewallRules: { id: string } };

export type TabHistoryQueryVariables = Exact<{
  id: string | number;
  after?: string | null | undefined;
}>;


export type TabHistoryQuery = { instance: { id: string, history: { edges: Array<{ node: { id: string, type: string, occurredAt: string, data: string } }>, pageInfo: { hasNextPage: boolean, endCursor: string | null } } } | null };

export type TabSnapshotsQueryVariables = Exact<{
  id: string | number;
}>;


export type TabSnapshotsQuery = { instance: { id: string, snapshots: Array<{ id: string, name: string, status: SnapshotStatus, sizeMb: number | null, createdAt: string }> } | null };

export type TabCreateSnapshotMutationVariables = Exact<{
  instanceId: string | number;
  name: string;
}>;


export type TabCreateSnapshotMutation = { createSnapshot: { id: string, status: SnapshotStatus } };

export type TabRestoreSnapshotMutationVariables = Exact<{
  id: string | number;
}>;


export type TabRestoreSnapshotMutation = { restoreSnapshot: { id: string, status: InstanceStatus } };

export type TabDeleteSnapshotMutationVariables = Exact<{
  id: string | number;
}>;


export type TabDeleteSnapshotMutation = { deleteSnapshot: { id: string, status: SnapshotStatus } };

export type InstancesQueryVariables = Exact<{
  after?: string | null | undefined;
}>;


export type InstancesQuery = { instances: { totalCount: number, pageInfo: { hasNextPage: boolean, endCursor: string | null }, edges: Array<{ node: { id: string, name: string, kind: InstanceKind, status: InstanceStatus, fqdn: string, region: { name: string }, plan: { name: string } } }> } };

export type InstanceRowFragment = { id: string, name: string, kind: InstanceKind, status: InstanceStatus, fqdn: string, region: { name: string }, plan: { name: string } };

export type NewInstanceRowQueryVariables = Exact<{
  id: string | number;
}>;


export type NewInstanceRowQuery = { instance: { id: string, name: string, kind: InstanceKind, status: InstanceStatus, fqdn: string, region: { name: string }, plan: { name: string } } | null };

export type InstanceUpdatesSubscriptionVariables = Exact<{
  id?: string | number | null | undefined;
}>;


export type InstanceUpdatesSubscription = { instanceUpdated: { id: string, status: InstanceStatus } };

export type FloatingIpsQueryVariables = Exact<{ [key: string]: never; }>;


export type FloatingIpsQuery = { ipAddresses: { totalCount: number, edges: Array<{ node: { id: string, address: string, family: IpFamily, floating: boolean, reverseDns: string | null, region: { id: string, name: string }, instance: { id: string, name: string } | null } }> }, regions: Array<{ id: string, name: string }>, instances: { edges: Array<{ node: { id: string, name: string, region: { id: string } } }> } };

export type FloatingIpFragment = { id: string, address: string, family: IpFamily, floating: boolean, reverseDns: string | null, region: { id: string, name: string }, instance: { id: string, name: string } | null };

export type AllocateIpMutationVariables = Exact<{
  input: AllocateIpInput;
}>;


export type AllocateIpMutation = { allocateIp: { id: string, address: string, family: IpFamily, floating: boolean, reverseDns: string | null, region: { id: string, name: string }, instance: { id: string, name: string } | null } };

export type AssignIpMutationVariables = Exact<{
  ipId: string | number;
  instanceId: string | number;
}>;


export type AssignIpMutation = { assignIp: { id: string, address: string, family: IpFamily, floating: boolean, reverseDns: string | null, region: { id: string, name: string }, instance: { id: string, name: string } | null } };

export type UnassignIpMutationVariables = Exact<{
  ipId: string | number;
}>;


export type UnassignIpMutation = { unassignIp: { id: string, address: string, family: IpFamily, floating: boolean, reverseDns: string | null, region: { id: string, name: string }, instance: { id: string, name: string } | null } };

export type ReleaseIpMutationVariables = Exact<{
  ipId: string | number;
}>;


export type ReleaseIpMutation = { releaseIp: { id: string } };

export type SetReverseDnsMutationVariables = Exact<{
  ipId: string | number;
  hostname: string;
}>;


export type SetReverseDnsMutation = { setReverseDns: { id: string, address: string, family: IpFamily, floating: boolean, reverseDns: string | null, region: { id: string, name: string }, instance: { id: string, name: string } | null } };

export type ResellerCustomersQueryVariables = Exact<{ [key: string]: never; }>;


export type ResellerCustomersQuery = { me: { id: string, customers: { totalCount: number, edges: Array<{ node: { id: string, name: string, status: AccountStatus, currency: string, email: string | null, createdAt: string } }> } } };

export type CustomerUsageQueryVariables = Exact<{
  accountId: string | number;
}>;


export type CustomerUsageQuery = { upcomingInvoice: { total: { amount: string, currency: string }, lines: Array<{ id: string }> } };

export type ResellerPlansQueryVariables = Exact<{ [key: string]: never; }>;


export type ResellerPlansQuery = { plans: Array<{ id: string, name: string, kind: InstanceKind, vcpus: number, memoryMb: number, diskGb: number, cost: { amount: string, currency: string } | null }> };

export type SetPriceMutationVariables = Exact<{
  input: SetPriceInput;
}>;


export type SetPriceMutation = { setPrice: { id: string, hourlyPrice: { amount: string, currency: string }, monthlyPrice: { amount: string, currency: string } } };

export class TypedDocumentString<TResult, TVariables>
  extends String
  implements DocumentTypeDecoration<TResult, TVariables>
{
  __apiType?: NonNullable<DocumentTypeDecoration<TResult, TVariables>['__apiType']>;
  private value: string;
  public __meta__?: Record<string, any> | undefined;

  constructor(value: string, __meta__?: Record<string, any> | undefined) {
    super(value);
    this.value = value;
    this.__meta__ = __meta__;
  }

  override toString(): string & DocumentTypeDecoration<TResult, TVariables> {
    return this.value;
  }
}
export const InstanceRowFragmentDoc = new TypedDocumentString(`
    fragment InstanceRow on Instance {
  id
  name
  kind
  status
  fqdn
  region {
    name
  }
  plan {
    name
  }
}
    `, {"fragmentName":"InstanceRow"}) as unknown as TypedDocumentString<InstanceRowFragment, unknown>;
export const FloatingIpFragmentDoc = new TypedDocumentString(`
    fragment FloatingIp on IpAddress {
  id
  address
  family
  floating
  reverseDns
  region {
    id
    name
  }
  instance {
    id
    name
  }
}
    `, {"fragmentName":"FloatingIp"}) as unknown as TypedDocumentString<FloatingIpFragment, unknown>;
export const DeskInvoiceDocument = new TypedDocumentString(`
    query DeskInvoice($id: ID!) {
  invoice(id: $id) {
    id
    number
    status
    currency
    periodStart
    periodEnd
    issuedAt
    paidAt
    account {
      id
      name
    }
    subtotal {
      amount
      currency
    }
    tax {
      amount
      currency
    }
    total {
      amount
      currency
    }
    lines {
      id
      description
      resourceId
      resourceType
      sku
      quantity
      unit
      periodStart
      periodEnd
      unitPrice {
        amount
        currency
      }
      amount {
        amount
        currency
      }
      usage {
        resourceId
        sku
        state
        startedAt
        endedAt
        seconds
      }
    }
    creditNotes {
      id
      number
      amount {
        amount
        currency
      }
      reason
      issuedAt
    }
  }
}
    `) as unknown as TypedDocumentString<DeskInvoiceQuery, DeskInvoiceQueryVariables>;
export const DeskFinalizeInvoiceDocument = new TypedDocumentString(`
    mutation DeskFinalizeInvoice($id: ID!) {
  finalizeInvoice(id: $id) {
    id
  }
}
    `) as unknown as TypedDocumentString<DeskFinalizeInvoiceMutation, DeskFinalizeInvoiceMutationVariables>;
export const DeskMarkInvoicePaidDocument = new TypedDocumentString(`
    mutation DeskMarkInvoicePaid($id: ID!, $reference: String!) {
  markInvoicePaid(id: $id, reference: $reference) {
    id
  }
}
    `) as unknown as TypedDocumentString<DeskMarkInvoicePaidMutation, DeskMarkInvoicePaidMutationVariables>;
export const DeskVoidInvoiceDocument = new TypedDocumentString(`
    mutation DeskVoidInvoice($id: ID!, $reason: String!) {
  voidInvoice(id: $id, reason: $reason) {
    id
  }
}
    `) as unknown as TypedDocumentString<DeskVoidInvoiceMutation, DeskVoidInvoiceMutationVariables>;
export const DeskIssueCreditNoteDocument = new TypedDocumentString(`
    mutation DeskIssueCreditNote($input: IssueCreditNoteInput!) {
  issueCreditNote(input: $input) {
    id
    number
  }
}
    `) as unknown as TypedDocumentString<DeskIssueCreditNoteMutation, DeskIssueCreditNoteMutationVariables>;
export const SegmentHistoryDocument = new TypedDocumentString(`
    query SegmentHistory($id: ID!, $after: String) {
  instance(id: $id) {
    id
    history(first: 200, after: $after) {
      pageInfo {
        hasNextPage
        endCursor
      }
      edges {
        node {
          id
          type
          occurredAt
        }
      }
    }
  }
}
    `) as unknown as TypedDocumentString<SegmentHistoryQuery, SegmentHistoryQueryVariables>;
export const DeskInvoicesDocument = new TypedDocumentString(`
    query DeskInvoices($after: String) {
  invoices(first: 100, after: $after) {
    totalCount
    pageInfo {
      hasNextPage
      endCursor
    }
    edges {
      node {
        id
        number
        status
        periodStart
        periodEnd
        total {
          amount
          currency
        }
        account {
          id
          name
        }
      }
    }
  }
}
    `) as unknown as TypedDocumentString<DeskInvoicesQuery, DeskInvoicesQueryVariables>;
export const OpenConsoleDocument = new TypedDocumentString(`
    mutation OpenConsole($instanceId: ID!) {
  openConsole(instanceId: $instanceId, kind: SERIAL) {
    url
    expiresAt
  }
}
    `) as unknown as TypedDocumentString<OpenConsoleMutation, OpenConsoleMutationVariables>;
export const OpenVncConsoleDocument = new TypedDocumentString(`
    mutation OpenVncConsole($instanceId: ID!) {
  openConsole(instanceId: $instanceId, kind: VNC) {
    url
    expiresAt
  }
}
    `) as unknown as TypedDocumentString<OpenVncConsoleMutation, OpenVncConsoleMutationVariables>;
export const CreateApiKeyDocument = new TypedDocumentString(`
    mutation CreateApiKey($input: CreateApiKeyInput!) {
  createApiKey(input: $input) {
    secret
    apiKey {
      id
      name
      role
      createdAt
      lastUsedAt
    }
  }
}
    `) as unknown as TypedDocumentString<CreateApiKeyMutation, CreateApiKeyMutationVariables>;
export const RevokeApiKeyDocument = new TypedDocumentString(`
    mutation RevokeApiKey($id: ID!) {
  revokeApiKey(id: $id) {
    id
  }
}
    `) as unknown as TypedDocumentString<RevokeApiKeyMutation, RevokeApiKeyMutationVariables>;
export const AdminAccountsDocument = new TypedDocumentString(`
    query AdminAccounts($after: String) {
  accounts(first: 100, after: $after) {
    totalCount
    pageInfo {
      hasNextPage
      endCursor
    }
    edges {
      node {
        id
        name
        kind
        status
        currency
        email
        parent {
          id
          name
        }
      }
    }
  }
}
    `) as unknown as TypedDocumentString<AdminAccountsQuery, AdminAccountsQueryVariables>;
export const AdminCreateAccountDocument = new TypedDocumentString(`
    mutation AdminCreateAccount($input: CreateAccountInput!) {
  createAccount(input: $input) {
    account {
      id
      name
      kind
      status
      currency
      email
      parent {
        id
        name
      }
    }
    apiKey {
      secret
      apiKey {
        role
      }
    }
  }
}
    `) as unknown as TypedDocumentString<AdminCreateAccountMutation, AdminCreateAccountMutationVariables>;
export const AdminHostsDocument = new TypedDocumentString(`
    query AdminHosts {
  hosts {
    id
    name
    status
    kinds
    region {
      id
      name
    }
    vcpus
    memoryMb
    diskGb
    allocatedVcpus
    allocatedMemoryMb
    allocatedDiskGb
    lastHeartbeatAt
  }
}
    `) as unknown as TypedDocumentString<AdminHostsQuery, AdminHostsQueryVariables>;
export const SetHostMaintenanceDocument = new TypedDocumentString(`
    mutation SetHostMaintenance($id: ID!, $maintenance: Boolean!) {
  setHostMaintenance(id: $id, maintenance: $maintenance) {
    id
    status
  }
}
    `) as unknown as TypedDocumentString<SetHostMaintenanceMutation, SetHostMaintenanceMutationVariables>;
export const AdminImagesDocument = new TypedDocumentString(`
    query AdminImages {
  images {
    id
    name
    os
    version
    kind
    status
    sizeMb
  }
}
    `) as unknown as TypedDocumentString<AdminImagesQuery, AdminImagesQueryVariables>;
export const RegisterImageDocument = new TypedDocumentString(`
    mutation RegisterImage($input: RegisterImageInput!) {
  registerImage(input: $input) {
    id
    name
    os
    version
    kind
    status
    sizeMb
  }
}
    `) as unknown as TypedDocumentString<RegisterImageMutation, RegisterImageMutationVariables>;
export const AdminIpPoolsDocument = new TypedDocumentString(`
    query AdminIpPools {
  ipPools {
    id
    family
    cidr
    gateway
    bridge
    size
    used
    retiredAt
    region {
      id
      name
    }
  }
}
    `) as unknown as TypedDocumentString<AdminIpPoolsQuery, AdminIpPoolsQueryVariables>;
export const AdminPlansDocument = new TypedDocumentString(`
    query AdminPlans {
  me {
    currency
  }
  plans {
    id
    name
    kind
    vcpus
    memoryMb
    diskGb
    retired
    hourlyPrice {
      amount
      currency
    }
    monthlyPrice {
      amount
      currency
    }
  }
}
    `) as unknown as TypedDocumentString<AdminPlansQuery, AdminPlansQueryVariables>;
export const SavePlanDocument = new TypedDocumentString(`
    mutation SavePlan($input: SavePlanInput!) {
  savePlan(input: $input) {
    id
    name
    kind
    vcpus
    memoryMb
    diskGb
    retired
    hourlyPrice {
      amount
      currency
    }
    monthlyPrice {
      amount
      currency
    }
  }
}
    `) as unknown as TypedDocumentString<SavePlanMutation, SavePlanMutationVariables>;
export const RetirePlanDocument = new TypedDocumentString(`
    mutation RetirePlan($id: ID!) {
  retirePlan(id: $id) {
    id
    retired
  }
}
    `) as unknown as TypedDocumentString<RetirePlanMutation, RetirePlanMutationVariables>;
export const AdminRegionsDocument = new TypedDocumentString(`
    query AdminRegions {
  regions {
    id
    name
    dnsZone
  }
}
    `) as unknown as TypedDocumentString<AdminRegionsQuery, AdminRegionsQueryVariables>;
export const CreateRegionDocument = new TypedDocumentString(`
    mutation CreateRegion($input: CreateRegionInput!) {
  createRegion(input: $input) {
    id
    name
    dnsZone
  }
}
    `) as unknown as TypedDocumentString<CreateRegionMutation, CreateRegionMutationVariables>;
export const CreateChoicesDocument = new TypedDocumentString(`
    query CreateChoices($kind: InstanceKind) {
  images(kind: $kind) {
    id
    name
    os
    version
    status
  }
  plans(kind: $kind) {
    id
    name
    vcpus
    memoryMb
    diskGb
    retired
    hourlyPrice {
      amount
      currency
    }
    monthlyPrice {
      amount
      currency
    }
  }
  regions {
    id
    name
  }
}
    `) as unknown as TypedDocumentString<CreateChoicesQuery, CreateChoicesQueryVariables>;
export const CreateInstanceDocument = new TypedDocumentString(`
    mutation CreateInstance($input: CreateInstanceInput!) {
  createInstance(input: $input) {
    id
  }
}
    `) as unknown as TypedDocumentString<CreateInstanceMutation, CreateInstanceMutationVariables>;
export const InstanceDocument = new TypedDocumentString(`
    query Instance($id: ID!) {
  instance(id: $id) {
    id
    name
    kind
    status
    fqdn
    createdAt
    billingCycle
    region {
      name
    }
    plan {
      name
      vcpus
      memoryMb
      diskGb
      hourlyPrice {
        amount
        currency
      }
    }
    image {
      name
      os
      version
    }
    ipAddresses {
      id
      address
      family
    }
    costToDate {
      amount
      currency
    }
  }
}
    `) as unknown as TypedDocumentString<InstanceQuery, InstanceQueryVariables>;
export const StartInstanceDocument = new TypedDocumentString(`
    mutation StartInstance($id: ID!) {
  startInstance(id: $id) {
    id
    status
  }
}
    `) as unknown as TypedDocumentString<StartInstanceMutation, StartInstanceMutationVariables>;
export const StopInstanceDocument = new TypedDocumentString(`
    mutation StopInstance($id: ID!) {
  stopInstance(id: $id) {
    id
    status
  }
}
    `) as unknown as TypedDocumentString<StopInstanceMutation, StopInstanceMutationVariables>;
export const DeleteInstanceDocument = new TypedDocumentString(`
    mutation DeleteInstance($id: ID!) {
  deleteInstance(id: $id) {
    id
    status
  }
}
    `) as unknown as TypedDocumentString<DeleteInstanceMutation, DeleteInstanceMutationVariables>;
export const TabBackupsDocument = new TypedDocumentString(`
    query TabBackups($id: ID!) {
  instance(id: $id) {
    id
    backupSchedule {
      hourUtc
      keep
    }
    backups(first: 100) {
      totalCount
      edges {
        node {
          id
          status
          sizeMb
          scheduled
          createdAt
        }
      }
    }
  }
}
    `) as unknown as TypedDocumentString<TabBackupsQuery, TabBackupsQueryVariables>;
export const TabCreateBackupDocument = new TypedDocumentString(`
    mutation TabCreateBackup($instanceId: ID!) {
  createBackup(instanceId: $instanceId) {
    id
    status
  }
}
    `) as unknown as TypedDocumentString<TabCreateBackupMutation, TabCreateBackupMutationVariables>;
export const TabDeleteBackupDocument = new TypedDocumentString(`
    mutation TabDeleteBackup($id: ID!) {
  deleteBackup(id: $id) {
    id
    status
  }
}
    `) as unknown as TypedDocumentString<TabDeleteBackupMutation, TabDeleteBackupMutationVariables>;
export const TabRestoreBackupDocument = new TypedDocumentString(`
    mutation TabRestoreBackup($id: ID!, $input: RestoreBackupInput) {
  restoreBackup(id: $id, input: $input) {
    id
  }
}
    `) as unknown as TypedDocumentString<TabRestoreBackupMutation, TabRestoreBackupMutationVariables>;
export const TabSetBackupScheduleDocument = new TypedDocumentString(`
    mutation TabSetBackupSchedule($instanceId: ID!, $schedule: BackupScheduleInput) {
  setBackupSchedule(instanceId: $instanceId, schedule: $schedule) {
    id
    backupSchedule {
      hourUtc
      keep
    }
  }
}
    `) as unknown as TypedDocumentString<TabSetBackupScheduleMutation, TabSetBackupScheduleMutationVariables>;
export const TabFirewallsDocument = new TypedDocumentString(`
    query TabFirewalls($id: ID!) {
  instance(id: $id) {
    id
    firewalls {
      id
    }
  }
  firewalls(first: 100) {
    edges {
      node {
        id
        name
        rules {
          direction
          protocol
          ports
          addresses
          description
        }
        instances {
          id
        }
      }
    }
  }
}
    `) as unknown as TypedDocumentString<TabFirewallsQuery, TabFirewallsQueryVariables>;
export const TabAttachFirewallDocument = new TypedDocumentString(`
    mutation TabAttachFirewall($id: ID!, $instanceId: ID!) {
  attachFirewall(id: $id, instanceId: $instanceId) {
    id
  }
}
    `) as unknown as TypedDocumentString<TabAttachFirewallMutation, TabAttachFirewallMutationVariables>;
export const TabDetachFirewallDocument = new TypedDocumentString(`
    mutation TabDetachFirewall($id: ID!, $instanceId: ID!) {
  detachFirewall(id: $id, instanceId: $instanceId) {
    id
  }
}
    `) as unknown as TypedDocumentString<TabDetachFirewallMutation, TabDetachFirewallMutationVariables>;
export const TabCreateFirewallDocument = new TypedDocumentString(`
    mutation TabCreateFirewall($input: CreateFirewallInput!) {
  createFirewall(input: $input) {
    id
  }
}
    `) as unknown as TypedDocumentString<TabCreateFirewallMutation, TabCreateFirewallMutationVariables>;
export const TabSetFirewallRulesDocument = new TypedDocumentString(`
    mutation TabSetFirewallRules($id: ID!, $rules: [FirewallRuleInput!]!) {
  setFirewallRules(id: $id, rules: $rules) {
    id
  }
}
    `) as unknown as TypedDocumentString<TabSetFirewallRulesMutation, TabSetFirewallRulesMutationVariables>;
export const TabHistoryDocument = new TypedDocumentString(`
    query TabHistory($id: ID!, $after: String) {
  instance(id: $id) {
    id
    history(first: 100, after: $after) {
      edges {
        node {
          id
          type
          occurredAt
          data
        }
      }
      pageInfo {
        hasNextPage
        endCursor
      }
    }
  }
}
    `) as unknown as TypedDocumentString<TabHistoryQuery, TabHistoryQueryVariables>;
export const TabSnapshotsDocument = new TypedDocumentString(`
    query TabSnapshots($id: ID!) {
  instance(id: $id) {
    id
    snapshots {
      id
      name
      status
      sizeMb
      createdAt
    }
  }
}
    `) as unknown as TypedDocumentString<TabSnapshotsQuery, TabSnapshotsQueryVariables>;
export const TabCreateSnapshotDocument = new TypedDocumentString(`
    mutation TabCreateSnapshot($instanceId: ID!, $name: String!) {
  createSnapshot(instanceId: $instanceId, name: $name) {
    id
    status
  }
}
    `) as unknown as TypedDocumentString<TabCreateSnapshotMutation, TabCreateSnapshotMutationVariables>;
export const TabRestoreSnapshotDocument = new TypedDocumentString(`
    mutation TabRestoreSnapshot($id: ID!) {
  restoreSnapshot(id: $id) {
    id
    status
  }
}
    `) as unknown as TypedDocumentString<TabRestoreSnapshotMutation, TabRestoreSnapshotMutationVariables>;
export const TabDeleteSnapshotDocument = new TypedDocumentString(`
    mutation TabDeleteSnapshot($id: ID!) {
  deleteSnapshot(id: $id) {
    id
    status
  }
}
    `) as unknown as TypedDocumentString<TabDeleteSnapshotMutation, TabDeleteSnapshotMutationVariables>;
export const InstancesDocument = new TypedDocumentString(`
    query Instances($after: String) {
  instances(first: 100, after: $after) {
    totalCount
    pageInfo {
      hasNextPage
      endCursor
    }
    edges {
      node {
        ...InstanceRow
      }
    }
  }
}
    fragment InstanceRow on Instance {
  id
  name
  kind
  status
  fqdn
  region {
    name
  }
  plan {
    name
  }
}`) as unknown as TypedDocumentString<InstancesQuery, InstancesQueryVariables>;
export const NewInstanceRowDocument = new TypedDocumentString(`
    query NewInstanceRow($id: ID!) {
  instance(id: $id) {
    ...InstanceRow
  }
}
    fragment InstanceRow on Instance {
  id
  name
  kind
  status
  fqdn
  region {
    name
  }
  plan {
    name
  }
}`) as unknown as TypedDocumentString<NewInstanceRowQuery, NewInstanceRowQueryVariables>;
export const InstanceUpdatesDocument = new TypedDocumentString(`
    subscription InstanceUpdates($id: ID) {
  instanceUpdated(id: $id) {
    id
    status
  }
}
    `) as unknown as TypedDocumentString<InstanceUpdatesSubscription, InstanceUpdatesSubscriptionVariables>;
export const FloatingIpsDocument = new TypedDocumentString(`
    query FloatingIps {
  ipAddresses(first: 100) {
    totalCount
    edges {
      node {
        ...FloatingIp
      }
    }
  }
  regions {
    id
    name
  }
  instances(first: 100) {
    edges {
      node {
        id
        name
        region {
          id
        }
      }
    }
  }
}
    fragment FloatingIp on IpAddress {
  id
  address
  family
  floating
  reverseDns
  region {
    id
    name
  }
  instance {
    id
    name
  }
}`) as unknown as TypedDocumentString<FloatingIpsQuery, FloatingIpsQueryVariables>;
export const AllocateIpDocument = new TypedDocumentString(`
    mutation AllocateIp($input: AllocateIpInput!) {
  allocateIp(input: $input) {
    ...FloatingIp
  }
}
    fragment FloatingIp on IpAddress {
  id
  address
  family
  floating
  reverseDns
  region {
    id
    name
  }
  instance {
    id
    name
  }
}`) as unknown as TypedDocumentString<AllocateIpMutation, AllocateIpMutationVariables>;
export const AssignIpDocument = new TypedDocumentString(`
    mutation AssignIp($ipId: ID!, $instanceId: ID!) {
  assignIp(ipId: $ipId, instanceId: $instanceId) {
    ...FloatingIp
  }
}
    fragment FloatingIp on IpAddress {
  id
  address
  family
  floating
  reverseDns
  region {
    id
    name
  }
  instance {
    id
    name
  }
}`) as unknown as TypedDocumentString<AssignIpMutation, AssignIpMutationVariables>;
export const UnassignIpDocument = new TypedDocumentString(`
    mutation UnassignIp($ipId: ID!) {
  unassignIp(ipId: $ipId) {
    ...FloatingIp
  }
}
    fragment FloatingIp on IpAddress {
  id
  address
  family
  floating
  reverseDns
  region {
    id
    name
  }
  instance {
    id
    name
  }
}`) as unknown as TypedDocumentString<UnassignIpMutation, UnassignIpMutationVariables>;
export const ReleaseIpDocument = new TypedDocumentString(`
    mutation ReleaseIp($ipId: ID!) {
  releaseIp(ipId: $ipId) {
    id
  }
}
    `) as unknown as TypedDocumentString<ReleaseIpMutation, ReleaseIpMutationVariables>;
export const SetReverseDnsDocument = new TypedDocumentString(`
    mutation SetReverseDns($ipId: ID!, $hostname: String!) {
  setReverseDns(ipId: $ipId, hostname: $hostname) {
    ...FloatingIp
  }
}
    fragment FloatingIp on IpAddress {
  id
  address
  family
  floating
  reverseDns
  region {
    id
    name
  }
  instance {
    id
    name
  }
}`) as unknown as TypedDocumentString<SetReverseDnsMutation, SetReverseDnsMutationVariables>;
export const ResellerCustomersDocument = new TypedDocumentString(`
    query ResellerCustomers {
  me {
    id
    customers(first: 100) {
      totalCount
      edges {
        node {
          id
          name
          status
          currency
          email
          createdAt
        }
      }
    }
  }
}
    `) as unknown as TypedDocumentString<ResellerCustomersQuery, ResellerCustomersQueryVariables>;
export const CustomerUsageDocument = new TypedDocumentString(`
    query CustomerUsage($accountId: ID!) {
  upcomingInvoice(accountId: $accountId) {
    total {
      amount
      currency
    }
    lines {
      id
    }
  }
}
    `) as unknown as TypedDocumentString<CustomerUsageQuery, CustomerUsageQueryVariables>;
export const ResellerPlansDocument = new TypedDocumentString(`
    query ResellerPlans {
  plans {
    id
    name
    kind
    vcpus
    memoryMb
    diskGb
    cost {
      amount
      currency
    }
  }
}
    `) as unknown as TypedDocumentString<ResellerPlansQuery, ResellerPlansQueryVariables>;
export const SetPriceDocument = new TypedDocumentString(`
    mutation SetPrice($input: SetPriceInput!) {
  setPrice(input: $input) {
    id
    hourlyPrice {
      amount
      currency
    }
    monthlyPrice {
      amount
      currency
    }
  }
}
    `) as unknown as TypedDocumentString<SetPriceMutation, SetPriceMutationVariables>;