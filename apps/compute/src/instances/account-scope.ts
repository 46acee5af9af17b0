import { AppError, type Scope } from '#libs/contracts';
import { inScope } from '#libs/messaging';

/** The account a request names, which it must. */
export function requireAccountId(accountId: unknown): string {
  if (typeof accountId !== 'string' || !accountId) throw AppError.badInput('accountId', 'is required');
  return accountId;
}

/** The account a write is for: one the caller acts for, or FORBIDDEN (as network's allocations). */
export function requireActingFor(accountId: unknown, scope: Scope): string {
  const id = requireAccountId(accountId);
  if (!inScope(id, scope)) throw new AppError('FORBIDDEN', `account ${id} is not one the caller acts for`);
  return id;
}
