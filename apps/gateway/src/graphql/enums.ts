import { registerEnumType } from '@nestjs/graphql';
import type * as contracts from '#libs/contracts';
import type { Role as RoleName } from '../identity/api-key.decider.js';

/** An enum of the API with exactly the values of the union the services use: a value added or renamed on one side fails the build. */
type EnumOf<T extends string> = { readonly [V in T]: V };

/** The contract's enums, as the plain string unions the services use too; each name is its union's type as well. */
export const Role = { ADMIN: 'ADMIN', RESELLER: 'RESELLER', CUSTOMER: 'CUSTOMER', FINANCE: 'FINANCE' } as const satisfies EnumOf<RoleName>;
export const AccountKind = { PLATFORM: 'PLATFORM', RESELLER: 'RESELLER', CUSTOMER: 'CUSTOMER' } as const satisfies EnumOf<contracts.AccountKind>;
export const AccountStatus = { ACTIVE: 'ACTIVE', PAST_DUE: 'PAST_DUE', SUSPENDED: 'SUSPENDED', CLOSED: 'CLOSED' } as const satisfies EnumOf<contracts.AccountStatus>;
export const InstanceKind = { VM: 'VM', CONTAINER: 'CONTAINER' } as const satisfies EnumOf<contracts.InstanceKind>;
export const InstanceStatus = {
  PENDING: 'PENDING', PROVISIONING: 'PROVISIONING', STARTING: 'STARTING', RUNNING: 'RUNNING', STOPPING: 'STOPPING', STOPPED: 'STOPPED',
  REBOOTING: 'REBOOTING', RESIZING: 'RESIZING', MIGRATING: 'MIGRATING', RESTORING: 'RESTORING', DELETING: 'DELETING', DELETED: 'DELETED', ERROR: 'ERROR',
} as const satisfies EnumOf<contracts.InstanceStatus>;
export const BillingCycle = { HOURLY: 'HOURLY', MONTHLY: 'MONTHLY' } as const satisfies EnumOf<contracts.BillingCycle>;
export const IpFamily = { IPV4: 'IPV4', IPV6: 'IPV6' } as const satisfies EnumOf<contracts.IpFamily>;
export const InvoiceStatus = { DRAFT: 'DRAFT', FINALIZED: 'FINALIZED', PAID: 'PAID', VOID: 'VOID' } as const satisfies EnumOf<contracts.InvoiceStatus>;
export const HostStatus = { UP: 'UP', DOWN: 'DOWN', MAINTENANCE: 'MAINTENANCE' } as const satisfies EnumOf<contracts.HostStatus>;
export const ImageStatus = { IMPORTING: 'IMPORTING', AVAILABLE: 'AVAILABLE', ERROR: 'ERROR', RETIRED: 'RETIRED' } as const satisfies EnumOf<contracts.ImageStatus>;
export const SnapshotStatus = {
  CREATING: 'CREATING', AVAILABLE: 'AVAILABLE', DELETING: 'DELETING', DELETED: 'DELETED', ERROR: 'ERROR',
} as const satisfies EnumOf<contracts.SnapshotStatus>;
export const BackupStatus = {
  CREATING: 'CREATING', AVAILABLE: 'AVAILABLE', DELETING: 'DELETING', DELETED: 'DELETED', ERROR: 'ERROR',
} as const satisfies EnumOf<contracts.BackupStatus>;
export const FirewallDirection = { INGRESS: 'INGRESS', EGRESS: 'EGRESS' } as const satisfies EnumOf<contracts.FirewallDirection>;
export const FirewallProtocol = { TCP: 'TCP', UDP: 'UDP', ICMP: 'ICMP' } as const satisfies EnumOf<contracts.FirewallProtocol>;

export type InstanceKind = contracts.InstanceKind;
export type InstanceStatus = contracts.InstanceStatus;
export type InvoiceStatus = contracts.InvoiceStatus;

const enums = { Role, AccountKind, AccountStatus, InstanceKind, InstanceStatus, BillingCycle, IpFamily, InvoiceStatus, HostStatus, ImageStatus, SnapshotStatus, BackupStatus, FirewallDirection, FirewallProtocol };
for (const [name, values] of Object.entries(enums)) registerEnumType(values, { name });
