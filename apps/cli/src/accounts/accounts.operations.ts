import { operation, type Connection, type PageVariables } from '../graphql/operation.js';

export type Role = 'ADMIN' | 'RESELLER' | 'CUSTOMER' | 'FINANCE';
export const ROLES: readonly Role[] = ['ADMIN', 'RESELLER', 'CUSTOMER', 'FINANCE'];
export type AccountKind = 'PLATFORM' | 'RESELLER' | 'CUSTOMER';

export interface Account {
  id: string;
  name: string;
  kind: AccountKind;
  status: string;
  currency: string;
  email: string | null;
  taxRate: string;
  parent: { id: string; name: string } | null;
  createdAt: string;
}

export interface ApiKey {
  id: string;
  name: string;
  role: Role;
  account: { id: string; name: string };
  createdAt: string;
  lastUsedAt: string | null;
}

/** A new key and its secret, which the API shows this once. */
export interface ApiKeyWithSecret {
  apiKey: ApiKey;
  secret: string;
}

const ACCOUNT = 'id name kind status currency email taxRate parent { id name } createdAt';
const API_KEY = 'id name role account { id name } createdAt lastUsedAt';

export const accounts = operation<PageVariables & { parentId?: string }, { accounts: Connection<Account> }>(
  `query Accounts($first: Int, $after: String, $parentId: ID) { accounts(first: $first, after: $after, parentId: $parentId) { edges { cursor node { ${ACCOUNT} } } pageInfo { hasNextPage endCursor } totalCount } }`,
);

export const account = operation<{ id: string }, { account: Account | null }>(`query Account($id: ID!) { account(id: $id) { ${ACCOUNT} } }`);

export interface CreateAccountInput {
  name: string;
  kind: Exclude<AccountKind, 'PLATFORM'>;
  email?: string;
  currency?: string;
  taxRate?: string;
  parentId?: string;
}
export const createAccount = operation<{ input: CreateAccountInput }, { createAccount: { account: Account; apiKey: ApiKeyWithSecret } }>(
  `mutation CreateAccount($input: CreateAccountInput!) { createAccount(input: $input) { account { ${ACCOUNT} } apiKey { apiKey { ${API_KEY} } secret } } }`,
);

export const createApiKey = operation<{ input: { accountId: string; name: string; role: Role } }, { createApiKey: ApiKeyWithSecret }>(
  `mutation CreateApiKey($input: CreateApiKeyInput!) { createApiKey(input: $input) { apiKey { ${API_KEY} } secret } }`,
);

export const revokeApiKey = operation<{ id: string }, { revokeApiKey: ApiKey }>(`mutation RevokeApiKey($id: ID!) { revokeApiKey(id: $id) { ${API_KEY} } }`);
