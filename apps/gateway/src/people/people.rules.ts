import { randomBytes } from 'node:crypto';
import { AppError, type AccountKind, type AccountStatus } from '#libs/contracts';
import { ROLES, ROLES_OF, type Role } from '../identity/api-key.decider.js';

/**
 * The rules of people (users who sign in with email and password), as plain functions: who may
 * invite whom, what an email, a name and a password must be, and when sign-in is locked.
 */

const EMAIL = /^[^\s@]{1,64}@[^\s@]{1,255}\.[^\s@]{2,63}$/;
const NAME = /^[^\p{Cc}]{1,100}$/u;
export const PASSWORD_MIN = 12;
export const PASSWORD_MAX = 1024;

/** A secret handed out once (a link's, a session's, a CSRF token), of which only the hash is kept. */
export const newToken = () => randomBytes(32).toString('base64url');
/** What newToken makes. */
export const TOKEN = /^[A-Za-z0-9_-]{43}$/;

/** An email as given (trimmed) and as it is looked up (lower case): one user per address. */
export function validEmail(value: unknown, field: string): { email: string; emailKey: string } {
  const email = typeof value === 'string' ? value.trim() : '';
  if (!EMAIL.test(email)) throw AppError.badInput(field, 'must be an email address');
  return { email, emailKey: email.toLowerCase() };
}

export function validPersonName(value: unknown, field: string): string {
  const name = typeof value === 'string' ? value.trim() : '';
  if (!NAME.test(name)) throw AppError.badInput(field, 'must be 1 to 100 characters, no control characters');
  return name;
}

export function validPassword(value: unknown, field: string): string {
  if (typeof value !== 'string' || value.length < PASSWORD_MIN || value.length > PASSWORD_MAX) {
    throw AppError.badInput(field, `must be ${PASSWORD_MIN} to ${PASSWORD_MAX} characters`);
  }
  if (value.trim().length === 0 || /\p{Cc}/u.test(value)) throw AppError.badInput(field, 'must not be blank or hold control characters');
  return value;
}

/** Who asks to invite: a viewer as an API key or a session stands for. */
export interface Inviter {
  role: Role;
}

/** The account a person is invited into, as the inviter sees it (null: not there, or beyond the inviter's tree). */
export interface InviteeAccount {
  id: string;
  kind: AccountKind;
  status: AccountStatus;
}

export interface Invitation {
  accountId: string;
  email: string;
  emailKey: string;
  name: string;
  role: Role;
}

/**
 * An invitation of a person into `account`, as the rules allow it: by ADMIN into any account, by a
 * reseller into its own or its customers', by an account's own CUSTOMER or RESELLER into that
 * account (who sees which the caller's scope already says); never by FINANCE. The role is one an
 * API key of the account could have: ADMIN is the platform's alone.
 */
export function decideInvitation(inviter: Inviter, account: InviteeAccount | null, input: { accountId?: unknown; email?: unknown; name?: unknown; role?: unknown }): Invitation {
  if (typeof input.accountId !== 'string' || input.accountId === '') throw AppError.badInput('accountId', 'is required');
  const { email, emailKey } = validEmail(input.email, 'email');
  const name = validPersonName(input.name, 'name');
  if (!ROLES.includes(input.role as Role)) throw AppError.badInput('role', `must be one of ${ROLES.join(', ')}`);
  const role = input.role as Role;
  if (!account) throw AppError.notFound(`account ${input.accountId}`);
  if (inviter.role === 'FINANCE') throw new AppError('FORBIDDEN', 'a FINANCE caller cannot invite people');
  if (!ROLES_OF[account.kind].includes(role)) throw AppError.badInput('role', `a ${account.kind} account's people are ${ROLES_OF[account.kind].join(' or ')}`);
  if (account.status === 'CLOSED') throw AppError.conflict(`account ${account.id} is CLOSED`);
  return { accountId: account.id, email, emailKey, name, role };
}

export interface SignInLimits {
  /** Failed attempts on one email within `windowMs` that lock it until the oldest of them is `windowMs` old. */
  maxFailures: number;
  /** Failed attempts from one address within `windowMs` that lock it likewise. */
  maxFailuresPerAddress: number;
  windowMs: number;
}

/** Failed attempts within the window: how many, and when the oldest of them was (unix ms). */
export interface FailureCount {
  count: number;
  oldestAt: number | null;
}

/**
 * Whether sign-in is refused before the password is looked at, and for how many seconds more:
 * too many failures on the email, or from the address, within the window.
 */
export function signInLock(forEmail: FailureCount, forAddress: FailureCount, limits: SignInLimits, now: number): { retryAfter: number; which: 'email' | 'address' } | null {
  const lockedFor = (failures: FailureCount, max: number) =>
    failures.count >= max && failures.oldestAt !== null ? Math.max(1, Math.ceil((failures.oldestAt + limits.windowMs - now) / 1000)) : null;
  const email = lockedFor(forEmail, limits.maxFailures);
  if (email !== null) return { retryAfter: email, which: 'email' };
  const address = lockedFor(forAddress, limits.maxFailuresPerAddress);
  return address === null ? null : { retryAfter: address, which: 'address' };
}
