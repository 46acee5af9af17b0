import { AppError } from '#libs/contracts';
import { decideSignUp, decideStorefrontSettings, openStorefront, signUpWait, type Storefront, type StorefrontOwner } from './storefront.rules.js';

const reseller: StorefrontOwner = { id: 'r', kind: 'RESELLER', status: 'ACTIVE' };
const settings = { slug: ' Acme-Cloud ', brandColour: '#0B5FFF', enabled: true };
const refusal = (work: () => unknown) => {
  try {
    work();
  } catch (error) {
    return { code: (error as AppError).code, field: (error as AppError).field, message: (error as AppError).message };
  }
  return null;
};

describe('storefronts: settings', () => {
  it("are set by the reseller or ADMIN, for a reseller's account, with the slug in lower case", () => {
    expect(decideStorefrontSettings({ role: 'RESELLER' }, reseller, settings)).toEqual({ accountId: 'r', slug: 'acme-cloud', brandColour: '#0b5fff', enabled: true });
    expect(decideStorefrontSettings({ role: 'ADMIN' }, reseller, { ...settings, enabled: false }).enabled).toBe(false);
  });

  it('are refused to customers and finance, and for an account that is no reseller or not the caller\'s', () => {
    expect(refusal(() => decideStorefrontSettings({ role: 'CUSTOMER' }, reseller, settings))?.code).toBe('FORBIDDEN');
    expect(refusal(() => decideStorefrontSettings({ role: 'FINANCE' }, reseller, settings))?.code).toBe('FORBIDDEN');
    expect(refusal(() => decideStorefrontSettings({ role: 'RESELLER' }, null, { ...settings, accountId: 'x' }))).toMatchObject({ code: 'NOT_FOUND', message: 'account x not found' });
    expect(refusal(() => decideStorefrontSettings({ role: 'ADMIN' }, { ...reseller, kind: 'CUSTOMER' }, settings))).toMatchObject({ code: 'BAD_USER_INPUT', field: 'accountId' });
    expect(refusal(() => decideStorefrontSettings({ role: 'RESELLER' }, { ...reseller, status: 'CLOSED' }, settings))?.code).toBe('CONFLICT');
  });

  it('name the field at fault: a slug that is no path segment, a colour not #rrggbb, enabled not a boolean', () => {
    for (const slug of ['', '-acme', 'acme-', 'acme/cloud', 'a'.repeat(41), 'äcme', 42]) {
      expect(refusal(() => decideStorefrontSettings({ role: 'RESELLER' }, reseller, { ...settings, slug }))?.field).toBe('slug');
    }
    for (const brandColour of ['blue', '#fff', '#12345g', 'red;background:url(x)', undefined]) {
      expect(refusal(() => decideStorefrontSettings({ role: 'RESELLER' }, reseller, { ...settings, brandColour }))?.field).toBe('brandColour');
    }
    expect(refusal(() => decideStorefrontSettings({ role: 'RESELLER' }, reseller, { ...settings, enabled: 'yes' }))).toEqual({
      code: 'BAD_USER_INPUT', field: 'enabled', message: 'enabled: must be true or false',
    });
  });
});

describe('storefronts: sign-up', () => {
  const storefront: Storefront = { slug: 'acme', brandColour: '#0b5fff', enabled: true, resellerId: 'r', resellerName: 'Acme', resellerStatus: 'ACTIVE', currency: 'EUR' };

  it('is taken by an enabled storefront of a reseller in good standing, and NOT_FOUND by any other', () => {
    expect(openStorefront(storefront, 'acme')).toBe(storefront);
    expect(refusal(() => openStorefront(null, 'nope'))).toMatchObject({ code: 'NOT_FOUND', message: 'storefront nope not found' });
    expect(refusal(() => openStorefront({ ...storefront, enabled: false }, 'acme'))?.code).toBe('NOT_FOUND');
    expect(refusal(() => openStorefront({ ...storefront, resellerStatus: 'SUSPENDED' }, 'acme'))?.code).toBe('NOT_FOUND');
  });

  it("opens the account in the person's name unless one is given", () => {
    expect(decideSignUp({ name: ' Ana ', email: 'Ana@Example.test' })).toEqual({ accountName: 'Ana', name: 'Ana', email: 'Ana@Example.test', emailKey: 'ana@example.test' });
    expect(decideSignUp({ name: 'Ana', email: 'ana@example.test', accountName: ' Ana Ltd ' }).accountName).toBe('Ana Ltd');
    expect(decideSignUp({ name: 'Ana', email: 'ana@example.test', accountName: '' }).accountName).toBe('Ana');
  });

  it('names the field at fault', () => {
    expect(refusal(() => decideSignUp({ email: 'ana@example.test' }))?.field).toBe('name');
    expect(refusal(() => decideSignUp({ name: 'Ana', email: 'ana' }))).toEqual({ code: 'BAD_USER_INPUT', field: 'email', message: 'email: must be an email address' });
    expect(refusal(() => decideSignUp({ name: 'Ana', email: 'ana@example.test', accountName: 7 }))?.field).toBe('accountName');
    expect(refusal(() => decideSignUp({ name: 'Ana', email: 'ana@example.test', accountName: 'x'.repeat(101) }))?.field).toBe('accountName');
  });

  it('waits, from an address that signed up too often within the window, until the oldest of those leaves it', () => {
    const limits = { maxPerAddress: 3, windowMs: 60_000 };
    expect(signUpWait({ count: 2, oldestAt: 0 }, limits, 1000)).toBeNull();
    expect(signUpWait({ count: 3, oldestAt: 0 }, limits, 1000)).toBe(59);
    expect(signUpWait({ count: 3, oldestAt: 0 }, limits, 59_999)).toBe(1);
  });
});
