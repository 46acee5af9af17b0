import { randomUUID } from 'node:crypto';
import { AppError, PLATFORM_SCOPE, SYSTEM_ACTOR, type Caller, type EventMetadata, type Scope } from '#libs/contracts';

/** A request's metadata as the gateway sends it; a request without any (an operator's tool) acts as the system. */
export const metadataOf = (payload: Partial<Caller> | undefined): EventMetadata =>
  payload?.metadata ?? { correlationId: randomUUID(), causationId: null, actor: SYSTEM_ACTOR };

/**
 * The scope a tenant-scoped request names: a list of accounts, or the platform. Nothing is
 * assumed for a request without one: it is refused, so a forgotten scope never shows everything.
 */
export function scopeOf(payload: Partial<Scope> | undefined): Scope {
  const accountIds = payload?.accountIds;
  if (accountIds === PLATFORM_SCOPE || (Array.isArray(accountIds) && accountIds.every((id) => typeof id === 'string'))) return { accountIds };
  throw new AppError('FORBIDDEN', `this request must say whose it is: accountIds, a list of accounts or "${PLATFORM_SCOPE}"`);
}

export const inScope = (accountId: string, scope: Scope): boolean => scope.accountIds === PLATFORM_SCOPE || scope.accountIds.includes(accountId);

/** The scope as SQL takes it: the accounts, or null for every one (`$1::text[] IS NULL OR account_id = ANY($1)`). */
export const accountsOf = (scope: Scope): string[] | null => (scope.accountIds === PLATFORM_SCOPE ? null : [...scope.accountIds]);

/** Whether the scope is the whole platform's: what only ADMIN's paths set. */
export const isPlatformWide = (scope: Scope): boolean => scope.accountIds === PLATFORM_SCOPE;
