import { AppError } from '#libs/contracts';
import { decideInvitation, signInLock, validEmail, validPassword, type InviteeAccount } from './people.rules.js';

const customer: InviteeAccount = { id: 'c', kind: 'CUSTOMER', status: 'ACTIVE' };
const platform: InviteeAccount = { id: 'p', kind: 'PLATFORM', status: 'ACTIVE' };
const input = { accountId: 'c', email: ' Ana@Example.test ', name: ' Ana ', role: 'CUSTOMER' };
const refusal = (work: () => unknown) => {
  try {
    work();
  } catch (error) {
    return { code: (error as AppError).code, field: (error as AppError).field, message: (error as AppError).message };
  }
  return null;
};

describe('people: invitations', () => {
  it("invites into an account the caller sees, in a role a key of the account could have", () => {
    expect(decideInvitation({ role: 'RESELLER' }, customer, input)).toEqual({ accountId: 'c', email: 'Ana@Example.test', emailKey: 'ana@example.test', name: 'Ana', role: 'CUSTOMER' });
    expect(decideInvitation({ role: 'CUSTOMER' }, customer, { ...input, role: 'FINANCE' }).role).toBe('FINANCE');
    expect(decideInvitation({ role: 'ADMIN' }, platform, { ...input, accountId: 'p', role: 'ADMIN' }).role).toBe('ADMIN');
  });

  it('names the field at fault', () => {
    expect(refusal(() => decideInvitation({ role: 'ADMIN' }, customer, { ...input, accountId: undefined }))?.field).toBe('accountId');
    expect(refusal(() => decideInvitation({ role: 'ADMIN' }, customer, { ...input, email: 'ana' }))?.field).toBe('email');
    expect(refusal(() => decideInvitation({ role: 'ADMIN' }, customer, { ...input, name: '' }))?.field).toBe('name');
    expect(refusal(() => decideInvitation({ role: 'ADMIN' }, customer, { ...input, role: 'ROOT' }))?.field).toBe('role');
    expect(refusal(() => decideInvitation({ role: 'ADMIN' }, customer, { ...input, role: 'ADMIN' }))).toEqual({
      code: 'BAD_USER_INPUT', field: 'role', message: "role: a CUSTOMER account's people are CUSTOMER or FINANCE",
    });
  });

  it('refuses FINANCE, an account beyond the caller (NOT_FOUND), and a closed account', () => {
    expect(refusal(() => decideInvitation({ role: 'FINANCE' }, customer, input))?.code).toBe('FORBIDDEN');
    expect(refusal(() => decideInvitation({ role: 'CUSTOMER' }, null, input))?.code).toBe('NOT_FOUND');
    expect(refusal(() => decideInvitation({ role: 'ADMIN' }, { ...customer, status: 'CLOSED' }, input))?.code).toBe('CONFLICT');
  });
});

describe('people: input', () => {
  it('takes an email in any case, looked up in lower case', () => {
    expect(validEmail('Bo@Example.TEST', 'email')).toEqual({ email: 'Bo@Example.TEST', emailKey: 'bo@example.test' });
    expect(refusal(() => validEmail('bo@', 'input.email'))?.message).toBe('input.email: must be an email address');
  });

  it('wants a password of 12 to 1024 characters, not blank', () => {
    expect(validPassword('twelve chars', 'password')).toBe('twelve chars');
    expect(refusal(() => validPassword('short', 'password'))?.message).toBe('password: must be 12 to 1024 characters');
    expect(refusal(() => validPassword(' '.repeat(12), 'password'))?.field).toBe('password');
    expect(refusal(() => validPassword(42, 'password'))?.field).toBe('password');
  });
});

describe('people: sign-in lockout', () => {
  const limits = { maxFailures: 3, maxFailuresPerAddress: 10, windowMs: 60_000 };
  const none = { count: 0, oldestAt: null };
  it('locks an email after its failures within the window, until the oldest of them leaves it', () => {
    expect(signInLock({ count: 2, oldestAt: 1000 }, none, limits, 5000)).toBeNull();
    expect(signInLock({ count: 3, oldestAt: 1000 }, none, limits, 5000)).toEqual({ retryAfter: 56, which: 'email' });
    expect(signInLock({ count: 3, oldestAt: 1000 }, none, limits, 60_999)).toEqual({ retryAfter: 1, which: 'email' });
  });

  it('locks an address after its own, larger, count', () => {
    expect(signInLock(none, { count: 9, oldestAt: 0 }, limits, 1000)).toBeNull();
    expect(signInLock(none, { count: 10, oldestAt: 0 }, limits, 1000)).toEqual({ retryAfter: 59, which: 'address' });
  });
});
