import { AppError, type AccountKind, type AccountStatus } from '#libs/contracts';
import type { Role } from '../identity/api-key.decider.js';
import { validEmail, validPersonName, type FailureCount } from '../people/people.rules.js';

/**
 * The rules of a reseller's storefront, as plain functions: what its settings may be, who may set
 * them, whether it takes a sign-up now, and what a sign-up must give.
 */

/** A slug is the storefront's path, `/store/<slug>`: lower case, digits and inner hyphens. */
const SLUG = /^[a-z0-9](?:[a-z0-9-]{0,38}[a-z0-9])?$/;
/** `#rrggbb`: the one form a colour can be checked for contrast in and put in a style attribute safely. */
const COLOUR = /^#[0-9a-fA-F]{6}$/;
const ACCOUNT_NAME = /^[^\p{Cc}]{1,100}$/u;

/** Sign-ups from one address within the window that stop further ones until the oldest leaves it. */
export const SIGN_UP_LIMITS = { maxPerAddress: 5, windowMs: 60 * 60 * 1000 };

export interface StorefrontSettings {
  slug: string;
  brandColour: string;
  enabled: boolean;
}

/** The account whose storefront is set, as the caller sees it (null: not there, or beyond the caller). */
export interface StorefrontOwner {
  id: string;
  kind: AccountKind;
  status: AccountStatus;
}

/** The account a storefront is asked of: a reseller's (NOT_FOUND where the caller may not see it). */
export function requireReseller(owner: StorefrontOwner | null, accountId: unknown): asserts owner is StorefrontOwner {
  if (!owner) throw AppError.notFound(`account ${String(accountId ?? '')}`.trim());
  if (owner.kind !== 'RESELLER') throw AppError.badInput('accountId', `must be a reseller's account; ${owner.id} is a ${owner.kind}`);
}

/**
 * A storefront's settings as the rules allow them: set by the reseller (its RESELLER role) or by
 * ADMIN, for a RESELLER account only; the slug and colour checked, each error naming its field.
 */
export function decideStorefrontSettings(caller: { role: Role }, owner: StorefrontOwner | null, input: { accountId?: unknown; slug?: unknown; brandColour?: unknown; enabled?: unknown }): StorefrontSettings & { accountId: string } {
  if (caller.role !== 'RESELLER' && caller.role !== 'ADMIN') throw new AppError('FORBIDDEN', `a ${caller.role} caller cannot set a storefront: its reseller (RESELLER) or ADMIN does`);
  requireReseller(owner, input.accountId);
  if (owner.status === 'CLOSED') throw AppError.conflict(`account ${owner.id} is CLOSED`);
  const slug = typeof input.slug === 'string' ? input.slug.trim().toLowerCase() : '';
  if (!SLUG.test(slug)) throw AppError.badInput('slug', 'must be 1 to 40 lower-case letters, digits and inner hyphens (it is the page\'s address, /store/<slug>)');
  if (typeof input.brandColour !== 'string' || !COLOUR.test(input.brandColour)) throw AppError.badInput('brandColour', 'must be a colour as #rrggbb');
  if (typeof input.enabled !== 'boolean') throw AppError.badInput('enabled', 'must be true or false');
  return { accountId: owner.id, slug, brandColour: input.brandColour.toLowerCase(), enabled: input.enabled };
}

/** A storefront as sign-up finds it: its settings and its reseller's name and standing. */
export interface Storefront extends StorefrontSettings {
  resellerId: string;
  resellerName: string;
  resellerStatus: AccountStatus;
  currency: string;
}

/** Whether a storefront is open to the public: enabled, and its reseller in good standing. NOT_FOUND otherwise, as for no storefront at all. */
export function openStorefront(storefront: Storefront | null, slug: string): Storefront {
  if (!storefront || !storefront.enabled || storefront.resellerStatus !== 'ACTIVE') throw AppError.notFound(`storefront ${slug}`);
  return storefront;
}

export interface SignUp {
  accountName: string;
  name: string;
  email: string;
  emailKey: string;
}

/** What a sign-up gives: the person's name and email, and the account's name (the person's own where none is given). */
export function decideSignUp(input: { accountName?: unknown; name?: unknown; email?: unknown }): SignUp {
  const name = validPersonName(input.name, 'name');
  const { email, emailKey } = validEmail(input.email, 'email');
  const given = typeof input.accountName === 'string' ? input.accountName.trim() : '';
  if (input.accountName !== undefined && input.accountName !== null && typeof input.accountName !== 'string') throw AppError.badInput('accountName', 'must be text');
  const accountName = given || name;
  if (!ACCOUNT_NAME.test(accountName)) throw AppError.badInput('accountName', 'must be 1 to 100 characters, no control characters');
  return { accountName, name, email, emailKey };
}

/** Seconds until an address may sign up again, or null: it signed up too often within the window. */
export function signUpWait(fromAddress: FailureCount, limits: typeof SIGN_UP_LIMITS, now: number): number | null {
  if (fromAddress.count < limits.maxPerAddress || fromAddress.oldestAt === null) return null;
  return Math.max(1, Math.ceil((fromAddress.oldestAt + limits.windowMs - now) / 1000));
}
