import { AppError, isIsoCurrency, type AccountKind, type AccountStatus, type IdentityEvents } from '#libs/contracts';
import type { Decider, DomainEvent } from '#libs/event-store';

/**
 * An account (`account-<id>`): the PLATFORM root, a RESELLER under it, or a CUSTOMER of either.
 * Its status follows billing's dunning (PAST_DUE, SUSPENDED, back to ACTIVE).
 */
export type AccountEvent =
  | DomainEvent<'AccountCreated', IdentityEvents['AccountCreated'] & { email: string | null }>
  | DomainEvent<'AccountStatusChanged', IdentityEvents['AccountStatusChanged']>
  /**
   * Which of billing's standing events (by its version on billing's account stream) the status
   * follows, recorded even when the status stays, so an older one delivered late changes nothing.
   */
  | DomainEvent<'BillingStandingFollowed', { accountId: string; billingVersion: number }>;

/** The parent an account is created under, as identity knows it. */
export interface ParentAccount {
  id: string;
  kind: AccountKind;
  currency: string;
  status: AccountStatus;
}

export type AccountCommand =
  | {
      type: 'CreateAccount';
      accountId: string;
      name: unknown;
      kind: unknown;
      email?: unknown;
      currency?: unknown;
      taxRate?: unknown;
      /** Null only for the PLATFORM root, made once on the first start. */
      parent: ParentAccount | null;
      /** The currencies with a platform price list, where the caller asked billing (a currency not the parent's); else unchecked. */
      pricedCurrencies?: readonly string[] | null;
    }
  | { type: 'FollowBillingStanding'; status: Exclude<AccountStatus, 'CLOSED'>; billingVersion: number };

export interface AccountState {
  id: string | null;
  status: AccountStatus;
  billingVersion: number;
}

export const accountStreamId = (accountId: string) => `account-${accountId}`;

const KINDS: readonly AccountKind[] = ['PLATFORM', 'RESELLER', 'CUSTOMER'];
const NAME = /^[^\p{Cc}]{1,100}$/u;
const EMAIL = /^[^\s@]{1,64}@[^\s@]{1,255}\.[^\s@]{2,63}$/;
/** A rate such as "0.19": 0 to 1, at most 6 decimals. */
const TAX_RATE = /^(0(\.\d{1,6})?|1(\.0{1,6})?)$/;
/** Which kind of account may sit under which. */
const PARENT_KINDS: Record<AccountKind, readonly AccountKind[]> = { PLATFORM: [], RESELLER: ['PLATFORM'], CUSTOMER: ['PLATFORM', 'RESELLER'] };

/** Whether `value`, trimmed, is an account's name: 1 to 100 characters, none of them a control character. */
export const isAccountName = (value: unknown): value is string => typeof value === 'string' && NAME.test(value.trim());

function validName(value: unknown): string {
  if (!isAccountName(value)) throw AppError.badInput('input.name', 'must be 1 to 100 characters, no control characters');
  return value.trim();
}

function validKind(value: unknown, parent: ParentAccount | null): AccountKind {
  if (!KINDS.includes(value as AccountKind)) throw AppError.badInput('input.kind', `must be one of ${KINDS.join(', ')}`);
  const kind = value as AccountKind;
  if (kind === 'PLATFORM' && parent) throw AppError.badInput('input.kind', 'there is one PLATFORM account, made on the first start');
  if (kind !== 'PLATFORM' && !PARENT_KINDS[kind].includes(parent?.kind as AccountKind)) {
    throw AppError.badInput('input.parentId', `a ${kind} belongs to a ${PARENT_KINDS[kind].join(' or ')} account`);
  }
  return kind;
}

/**
 * A reseller invoices its customers in its own currency, at its own prices: they share it. Any
 * other currency needs a platform price list, or the account's usage could never be rated.
 */
function validCurrency(value: unknown, parent: ParentAccount | null, pricedCurrencies: readonly string[] | null | undefined): string {
  if (value === undefined || value === null) return parent?.currency ?? 'EUR';
  if (!isIsoCurrency(value)) throw AppError.badInput('input.currency', 'must be an ISO 4217 code such as EUR');
  if (parent?.kind === 'RESELLER' && value !== parent.currency) {
    throw AppError.badInput('input.currency', `a reseller's customers pay in the reseller's currency, ${parent.currency}`);
  }
  if (pricedCurrencies && !pricedCurrencies.includes(value)) {
    throw AppError.badInput('input.currency', `the platform has no price list in ${value} (it has ${pricedCurrencies.join(', ') || 'none'})`);
  }
  return value;
}

function validEmail(value: unknown): string | null {
  if (value === undefined || value === null) return null;
  if (typeof value !== 'string' || !EMAIL.test(value.trim())) throw AppError.badInput('input.email', 'must be an email address');
  return value.trim();
}

function validTaxRate(value: unknown): string {
  if (value === undefined || value === null) return '0';
  if (typeof value !== 'string' || !TAX_RATE.test(value.trim())) throw AppError.badInput('input.taxRate', 'must be a decimal from 0 to 1 with at most 6 decimals, e.g. "0.19"');
  return value.trim();
}

export const accountDecider: Decider<AccountCommand, AccountState, AccountEvent> = {
  initialState: () => ({ id: null, status: 'ACTIVE', billingVersion: 0 }),

  decide(command, state) {
    switch (command.type) {
      case 'CreateAccount': {
        if (state.id) throw AppError.conflict(`account ${command.accountId} exists already`);
        const { parent } = command;
        const name = validName(command.name);
        const kind = validKind(command.kind, parent);
        if (parent && parent.status !== 'ACTIVE') throw AppError.conflict(`account ${parent.id} is ${parent.status}: it cannot take new customers`);
        return [{
          type: 'AccountCreated',
          data: {
            accountId: command.accountId, name, kind, parentId: parent?.id ?? null, currency: validCurrency(command.currency, parent, command.pricedCurrencies),
            taxRate: validTaxRate(command.taxRate), email: validEmail(command.email),
          },
        }];
      }
      case 'FollowBillingStanding': {
        const accountId = state.id;
        if (!accountId || state.status === 'CLOSED' || command.billingVersion <= state.billingVersion) return [];
        const followed: AccountEvent = { type: 'BillingStandingFollowed', data: { accountId, billingVersion: command.billingVersion } };
        return command.status === state.status ? [followed] : [{ type: 'AccountStatusChanged', data: { accountId, status: command.status } }, followed];
      }
    }
  },

  evolve(state, event) {
    switch (event.type) {
      case 'AccountCreated':
        return { ...state, id: event.data.accountId };
      case 'AccountStatusChanged':
        return { ...state, status: event.data.status };
      case 'BillingStandingFollowed':
        return { ...state, billingVersion: event.data.billingVersion };
    }
  },
};
