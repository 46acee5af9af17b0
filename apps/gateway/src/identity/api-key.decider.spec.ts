import { deciderSpec } from '#libs/testing';
import { apiKeyDecider, type ApiKeyCommand, type ApiKeyEvent } from './api-key.decider.js';

const spec = deciderSpec(apiKeyDecider);
const create = (fields: Partial<Extract<ApiKeyCommand, { type: 'CreateApiKey' }>>): ApiKeyCommand => ({
  type: 'CreateApiKey', apiKeyId: 'k', account: { id: 'a', kind: 'CUSTOMER', status: 'ACTIVE' }, name: 'ci', role: 'CUSTOMER', secretHash: 'h', ...fields,
});
const created: ApiKeyEvent = { type: 'ApiKeyCreated', data: { apiKeyId: 'k', accountId: 'a', name: 'ci', role: 'CUSTOMER', secretHash: 'h' } };

describe('API key decider', () => {
  it('creates a key holding only the hash of its secret', () => {
    spec.given([]).when(create({})).then([created]);
  });

  it("gives ADMIN to the platform's keys alone, and each kind of account its own role or FINANCE", () => {
    spec.given([]).when(create({ role: 'ADMIN' })).thenThrows(/input.role: a CUSTOMER account's keys are CUSTOMER or FINANCE/);
    spec.given([]).when(create({ role: 'RESELLER' })).thenThrows(/input.role/);
    spec.given([]).when(create({ role: 'FINANCE' })).then([{ ...created, data: { ...created.data, role: 'FINANCE' } }]);
    spec.given([]).when(create({ role: 'ADMIN', account: { id: 'a', kind: 'PLATFORM', status: 'ACTIVE' } })).then([{ ...created, data: { ...created.data, role: 'ADMIN' } }]);
  });

  it('names a bad name or role, and refuses keys for a closed account', () => {
    spec.given([]).when(create({ name: ' ' })).thenThrows(/input.name/);
    spec.given([]).when(create({ role: 'ROOT' })).thenThrows(/input.role: must be one of/);
    spec.given([]).when(create({ account: { id: 'a', kind: 'CUSTOMER', status: 'CLOSED' } })).thenThrows(/CLOSED/);
  });

  it('revokes once; revoking again changes nothing; an unknown key is not found', () => {
    spec.given([created]).when({ type: 'RevokeApiKey' }).then([{ type: 'ApiKeyRevoked', data: { apiKeyId: 'k', accountId: 'a' } }]);
    spec.given([created, { type: 'ApiKeyRevoked', data: { apiKeyId: 'k', accountId: 'a' } }]).when({ type: 'RevokeApiKey' }).then([]);
    spec.given([]).when({ type: 'RevokeApiKey' }).thenThrows(/not found/);
  });
});
