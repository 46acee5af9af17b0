import type { EventMetadata } from './envelope.js';

/** Every account: what ADMIN, and the platform's FINANCE, may see. Only the gateway's paths for them say so. */
export const PLATFORM_SCOPE = 'platform';

/** The accounts a request may see and act on: those listed (an account's own, a reseller's tree), or every one. */
export type AccountScope = readonly string[] | typeof PLATFORM_SCOPE;

/** Whom a tenant-scoped request is for: it must say so, and a request that does not is refused. */
export interface Scope {
  accountIds: AccountScope;
}

/** What the gateway sends with every request to a service: the caller's tenancy and the metadata its events carry. */
export interface Caller extends Scope {
  metadata?: EventMetadata;
}
