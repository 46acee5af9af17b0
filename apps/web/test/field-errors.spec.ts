import { formErrors, formatMoney } from '../src/api/field-errors.js';

describe("the API's errors on a form", () => {
  const fields = ['name', 'planId', 'sshKeys'];

  it('puts each beside the field it names, without the field in front of the words', () => {
    const shown = formErrors([
      { message: 'input.name: the name web is not available in region local: choose another', extensions: { code: 'BAD_USER_INPUT', field: 'input.name' } },
      { message: 'planId: no plan ct-9', extensions: { code: 'BAD_USER_INPUT', field: 'planId' } },
      { message: 'input.sshKeys[1]: must be one OpenSSH public key line', extensions: { code: 'BAD_USER_INPUT', field: 'input.sshKeys[1]' } },
    ], fields);
    expect(shown).toEqual({
      fields: { name: 'the name web is not available in region local: choose another', planId: 'no plan ct-9', sshKeys: 'must be one OpenSSH public key line' },
      general: [],
    });
  });

  it('shows above the form what names no field, or one the form has not', () => {
    const shown = formErrors([
      { message: 'the account has reached its quota of 20 instances', extensions: { code: 'QUOTA_EXCEEDED' } },
      { message: 'hostId: host h1 is DOWN', extensions: { code: 'BAD_USER_INPUT', field: 'hostId' } },
    ], fields);
    expect(shown).toEqual({ fields: {}, general: ['the account has reached its quota of 20 instances', 'hostId: host h1 is DOWN'] });
  });
});

describe('money', () => {
  it('shows the exact decimal the API gave, to the cent at least', () => {
    expect(formatMoney({ amount: '0.0137', currency: 'EUR' })).toBe('0.0137 EUR');
    expect(formatMoney({ amount: '10.000000', currency: 'USD' })).toBe('10.00 USD');
    expect(formatMoney({ amount: '7', currency: 'EUR' })).toBe('7.00 EUR');
  });
});
