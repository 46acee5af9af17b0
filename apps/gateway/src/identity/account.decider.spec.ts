import { deciderSpec } from '#libs/testing';
import { AppError } from '#libs/contracts';
import { accountDecider, type AccountEvent, type ParentAccount } from './account.decider.js';

const spec = deciderSpec(accountDecider);
const platform: ParentAccount = { id: 'p', kind: 'PLATFORM', currency: 'EUR', status: 'ACTIVE' };
const reseller: ParentAccount = { id: 'r', kind: 'RESELLER', currency: 'USD', status: 'ACTIVE' };
const create = (fields: Record<string, unknown>, parent: ParentAccount | null = platform) =>
  ({ type: 'CreateAccount' as const, accountId: 'a', name: 'Acme', kind: 'CUSTOMER', parent, ...fields });
const created: AccountEvent = {
  type: 'AccountCreated',
  data: { accountId: 'a', name: 'Acme', kind: 'CUSTOMER', parentId: 'r', currency: 'USD', taxRate: '0', email: null },
};
const follow = (status: 'ACTIVE' | 'PAST_DUE' | 'SUSPENDED', billingVersion: number) => ({ type: 'FollowBillingStanding' as const, status, billingVersion });

describe('account decider', () => {
  it("creates a reseller's customer in the reseller's currency, with the rate and email given", () => {
    spec.given([]).when(create({ email: ' billing@acme.test ', taxRate: '0.19' }, reseller)).then([
      { type: 'AccountCreated', data: { accountId: 'a', name: 'Acme', kind: 'CUSTOMER', parentId: 'r', currency: 'USD', taxRate: '0.19', email: 'billing@acme.test' } },
    ]);
  });

  it('names the field at fault', () => {
    const field = (fields: Record<string, unknown>, parent: ParentAccount | null = platform) => {
      try {
        accountDecider.decide(create(fields, parent), accountDecider.initialState());
      } catch (error) {
        return (error as AppError).field;
      }
      return 'accepted';
    };
    expect(field({ name: '' })).toBe('input.name');
    expect(field({ name: 'a\u0007b' })).toBe('input.name');
    expect(field({ kind: 'ALIEN' })).toBe('input.kind');
    expect(field({ kind: 'PLATFORM' })).toBe('input.kind');
    expect(field({ kind: 'RESELLER' }, reseller)).toBe('input.parentId');
    expect(field({ currency: 'euro' })).toBe('input.currency');
    expect(field({ currency: 'QQQ' })).toBe('input.currency'); // three letters, but no ISO 4217 code
    expect(field({ currency: 'XAF', pricedCurrencies: ['EUR', 'USD'] })).toBe('input.currency');
    expect(field({ currency: 'USD', pricedCurrencies: ['EUR', 'USD'] })).toBe('accepted');
    expect(field({ currency: 'EUR' }, reseller)).toBe('input.currency');
    expect(field({ email: 'not-an-address' })).toBe('input.email');
    expect(field({ taxRate: '1.5' })).toBe('input.taxRate');
    expect(field({ taxRate: '-0.1' })).toBe('input.taxRate');
    expect(field({ kind: 'RESELLER', currency: 'GBP' })).toBe('accepted');
  });

  it('refuses a second creation, and a customer under a suspended parent', () => {
    spec.given([created]).when(create({})).thenThrows(/exists already/);
    spec.given([]).when(create({}, { ...reseller, status: 'SUSPENDED' })).thenThrows(/SUSPENDED/);
  });

  it("follows billing's standing, and records the version even when the status stays", () => {
    spec.given([created]).when(follow('PAST_DUE', 2)).then([
      { type: 'AccountStatusChanged', data: { accountId: 'a', status: 'PAST_DUE' } },
      { type: 'BillingStandingFollowed', data: { accountId: 'a', billingVersion: 2 } },
    ]);
    spec.given([created]).when(follow('ACTIVE', 4)).then([{ type: 'BillingStandingFollowed', data: { accountId: 'a', billingVersion: 4 } }]);
  });

  it("ignores a billing event older than one it followed, so a late redelivery cannot undo a reinstatement", () => {
    spec.given([created, { type: 'BillingStandingFollowed', data: { accountId: 'a', billingVersion: 4 } }]).when(follow('SUSPENDED', 3)).then([]);
  });
});
