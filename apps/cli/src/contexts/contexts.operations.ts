import { operation, type NoVariables } from '../graphql/operation.js';

export interface Me {
  id: string;
  name: string;
  kind: string;
  status: string;
  currency: string;
}

/** The key's own account: what login checks the key with. */
export const me = operation<NoVariables, { me: Me }>(`query Me { me { id name kind status currency } }`);
