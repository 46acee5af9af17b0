/**
 * One GraphQL document of the public API (api/contract.graphql) with the TypeScript types of its
 * variables and its result, so a command cannot send or read what the document does not say.
 * operations.spec.ts checks every document against the contract.
 */
export interface Operation<Variables, Result> {
  readonly document: string;
  /** Never set: it carries the types. */
  readonly types?: { variables: Variables; result: Result };
}

export const operation = <Variables, Result>(document: string): Operation<Variables, Result> => ({ document });

export type NoVariables = Record<string, never>;

/** A page of a connection as the API answers it (an instance's history has no total). */
export interface Connection<Node> {
  edges: { cursor: string; node: Node }[];
  pageInfo: { hasNextPage: boolean; endCursor: string | null };
  totalCount?: number;
}

export interface Money {
  amount: string;
  currency: string;
}

/** --first and --after of a list command. */
export interface PageVariables {
  first?: number;
  after?: string;
}
