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
    /** Where the account's invoices are sent, where it was created with one. */
    email?: string | null;
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
  /** `restarted` (true, or absent): the guest was restarted to take its new size, as it could not grow or shrink in place. */
  InstanceResized: { fromPlanId: string; toPlanId: string; restarted?: boolean };
  InstanceMigrated: { fromHostId: string; toHostId: string };
  InstanceFailed: { reason: string };
  InstanceDeleted: Record<string, never>;
  HostRegistered: { hostId: string; name: string; regionId: string };
  HostDown: { hostId: string };
  HostUp: { hostId: string };
}

/** One address of an instance as network allocated it, with what its host needs to configure it. */
export interface InstanceAddress {
  ipId: string;
  family: IpFamily;
  address: string;
  /** The on-link prefix length: the pool's for a shared subnet, 64 for a /64 of its own. */
  prefixLength: number;
  gateway: string;
  /** The host bridge the region's pool maps to. */
  bridge: string;
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
    /** Beyond the contract's fields: where the address came from and how it is configured. */
    poolId: string;
    prefixLength: number;
    gateway: string;
  };
  IpAssigned: { ipId: string; instanceId: string };
  IpUnassigned: { ipId: string };
  IpReleased: { ipId: string };
  ReverseDnsSet: { ipId: string; hostname: string };
  /** Network's own: the PTR record goes back to the default (the instance's name, or none). */
  ReverseDnsCleared: { ipId: string };
  /** Network's own, on the instance's stream: its one IPv4 and one IPv6 are allocated. */
  InstanceAddressesAllocated: { instanceId: string; addresses: InstanceAddress[] };
  /** Network's own: the instance's region could not give it its addresses. */
  InstanceAddressingFailed: { instanceId: string; reason: string };
}

/**
 * Billing's events. The contract names the types; the fields beyond `number` and `total` say
 * which invoice and account each is about, so a consumer needs no read-back.
 * Invoices are on `invoice-<id>` streams, an account's dunning on `account-<accountId>`.
 */
export interface BillingEvents {
  InvoiceFinalized: {
    invoiceId: string;
    accountId: string;
    /** The account that issues it: the platform, or the customer's reseller. */
    issuerId: string;
    number: string;
    currency: string;
    /** Exact decimals in the currency's minor unit, e.g. "12.34". */
    subtotal: string;
    tax: string;
    total: string;
  };
  InvoicePaid: { invoiceId: string; accountId: string; reference: string };
  InvoiceVoided: { invoiceId: string; accountId: string; reason: string };
  CreditNoteIssued: { invoiceId: string; accountId: string; creditNoteId: string; number: string; amount: string; reason: string };
  AccountPastDue: { accountId: string; invoiceId: string };
  AccountSuspended: { accountId: string };
  AccountReinstated: { accountId: string };
}
