/**
 * The contract events of ARCHITECTURE.md: the `data` each producer publishes.
 * Events are facts and never change shape; a new shape is a new type.
 */

export type AccountKind = 'PLATFORM' | 'RESELLER' | 'CUSTOMER';
export type AccountStatus = 'ACTIVE' | 'PAST_DUE' | 'SUSPENDED' | 'CLOSED';
export type InstanceKind = 'VM' | 'CONTAINER';
export type BillingCycle = 'HOURLY' | 'MONTHLY';
export type IpFamily = 'IPV4' | 'IPV6';

export interface IdentityEvents {
  AccountCreated: {
    accountId: string;
    name: string;
    kind: AccountKind;
    parentId: string | null;
    currency: string;
    /** Exact decimal as a string, e.g. "0.19". */
    taxRate: string;
  };
  AccountStatusChanged: { accountId: string; status: AccountStatus };
}

export interface ComputeEvents {
  InstanceRequested: {
    instanceId: string;
    accountId: string;
    name: string;
    kind: InstanceKind;
    imageId: string;
    planId: string;
    regionId: string;
    billingCycle: BillingCycle;
  };
  InstanceScheduled: { hostId: string };
  InstanceStarted: Record<string, never>;
  InstanceStopped: Record<string, never>;
  InstanceResized: { fromPlanId: string; toPlanId: string };
  InstanceMigrated: { fromHostId: string; toHostId: string };
  InstanceFailed: { reason: string };
  InstanceDeleted: Record<string, never>;
  HostRegistered: { hostId: string; name: string; regionId: string };
  HostDown: { hostId: string };
  HostUp: { hostId: string };
}

export interface NetworkEvents {
  IpAllocated: {
    ipId: string;
    address: string;
    family: IpFamily;
    regionId: string;
    accountId: string;
    instanceId?: string;
    floating: boolean;
  };
  IpAssigned: { ipId: string; instanceId: string };
  IpUnassigned: { ipId: string };
  IpReleased: { ipId: string };
  ReverseDnsSet: { ipId: string; hostname: string };
}

export interface BillingEvents {
  InvoiceFinalized: { number: string; total: string };
  InvoicePaid: Record<string, never>;
  InvoiceVoided: Record<string, never>;
  CreditNoteIssued: Record<string, never>;
  AccountPastDue: Record<string, never>;
  AccountSuspended: Record<string, never>;
  AccountReinstated: Record<string, never>;
}
