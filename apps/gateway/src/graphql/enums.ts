import { registerEnumType } from '@nestjs/graphql';

/** The contract's enums, as plain string unions the services use too. */
export const Role = { ADMIN: 'ADMIN', RESELLER: 'RESELLER', CUSTOMER: 'CUSTOMER', FINANCE: 'FINANCE' } as const;
export const AccountKind = { PLATFORM: 'PLATFORM', RESELLER: 'RESELLER', CUSTOMER: 'CUSTOMER' } as const;
export const AccountStatus = { ACTIVE: 'ACTIVE', PAST_DUE: 'PAST_DUE', SUSPENDED: 'SUSPENDED', CLOSED: 'CLOSED' } as const;
export const InstanceKind = { VM: 'VM', CONTAINER: 'CONTAINER' } as const;
export const InstanceStatus = {
  PENDING: 'PENDING', PROVISIONING: 'PROVISIONING', STARTING: 'STARTING', RUNNING: 'RUNNING', STOPPING: 'STOPPING', STOPPED: 'STOPPED',
  REBOOTING: 'REBOOTING', RESIZING: 'RESIZING', MIGRATING: 'MIGRATING', DELETING: 'DELETING', DELETED: 'DELETED', ERROR: 'ERROR',
} as const;
export const BillingCycle = { HOURLY: 'HOURLY', MONTHLY: 'MONTHLY' } as const;
export const IpFamily = { IPV4: 'IPV4', IPV6: 'IPV6' } as const;
export const InvoiceStatus = { DRAFT: 'DRAFT', FINALIZED: 'FINALIZED', PAID: 'PAID', VOID: 'VOID' } as const;
export const HostStatus = { UP: 'UP', DOWN: 'DOWN', MAINTENANCE: 'MAINTENANCE' } as const;

const enums = { Role, AccountKind, AccountStatus, InstanceKind, InstanceStatus, BillingCycle, IpFamily, InvoiceStatus, HostStatus };
for (const [name, values] of Object.entries(enums)) registerEnumType(values, { name });
