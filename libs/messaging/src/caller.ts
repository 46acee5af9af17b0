import { randomUUID } from 'node:crypto';
import { SYSTEM_ACTOR, type EventMetadata } from '#libs/contracts';

/** The accounts a caller may see (its own, or a reseller's tree); absent for ADMIN, who sees all. */
export interface Scope {
  accountIds?: string[] | null;
}

/** What the gateway sends with every request to a service: the caller's tenancy and the metadata its events carry. */
export interface Caller extends Scope {
  metadata?: EventMetadata;
}

/** A request's metadata as the gateway sends it; a request without any (an operator's tool) acts as the system. */
export const metadataOf = (payload: Caller | undefined): EventMetadata =>
  payload?.metadata ?? { correlationId: randomUUID(), causationId: null, actor: SYSTEM_ACTOR };

export const scopeOf = (payload: Caller | undefined): Scope => ({ accountIds: payload?.accountIds ?? null });

export const inScope = (accountId: string, scope: Scope): boolean => !scope.accountIds || scope.accountIds.includes(accountId);
