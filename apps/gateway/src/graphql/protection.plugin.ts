import type { ApolloServerPlugin } from '@apollo/server';
import { GraphQLError, type DocumentNode, type GraphQLSchema, type OperationDefinitionNode } from 'graphql';
import { isRefusal, type Refusal, type RequestLimits } from '../auth/request-limits.js';
import type { GatewayContext } from './gateway-context.js';
import { COST, measureQuery, type QueryCost } from './query-cost.js';

export interface ProtectionLimits {
  maxDepth: number;
  maxComplexity: number;
}

/** An operation that rates usage, or asks the services for as much as five requests, is expensive. */
export const EXPENSIVE_COMPLEXITY = COST.RATING;

/** A refusal of the request limits as GraphQL answers it: its code, and its HTTP status and Retry-After. */
export const refusalError = ({ code, status, message, retryAfter }: Refusal) =>
  new GraphQLError(message, { extensions: { code, retryAfter, http: { status, headers: new Map([['retry-after', String(retryAfter)]]) } } });

/** Why an operation is refused before it runs (BAD_USER_INPUT), or null: too deep, or it may cost too much. */
export function refusalOf(cost: QueryCost, limits: ProtectionLimits): string | null {
  if (cost.depth > limits.maxDepth) return `query: depth ${cost.depth} is over the limit of ${limits.maxDepth}`;
  if (cost.complexity > limits.maxComplexity) {
    return `query: complexity ${cost.complexity} is over the limit of ${limits.maxComplexity} (ask for smaller pages, or fewer nested lists)`;
  }
  return null;
}

/**
 * An operation's cost, measured once per parsed document where it takes no variables (Apollo keeps
 * the documents it parsed): a query sent again and again is not walked again each time.
 */
function measurer() {
  const measured = new WeakMap<DocumentNode, Map<string, QueryCost>>();
  return (schema: GraphQLSchema, document: DocumentNode, operation: OperationDefinitionNode, variables: Record<string, unknown>): QueryCost => {
    if (operation.variableDefinitions?.length) return measureQuery(schema, document, operation, variables);
    const costs = measured.get(document) ?? new Map<string, QueryCost>();
    measured.set(document, costs);
    const name = operation.name?.value ?? '';
    const cost = costs.get(name) ?? measureQuery(schema, document, operation);
    costs.set(name, cost);
    return cost;
  };
}

/**
 * Before an operation runs: the caller's rate (per API key, per address without one), what the
 * query may cost, and, for an expensive one, a slot among its account's. Refusals are errors with a
 * code and an HTTP status, and nothing is executed. An account with all its slots taken is
 * RATE_LIMITED, not UNAVAILABLE: it is the caller's own load, which it can lower, not a service
 * failing; a client told UNAVAILABLE would retry at once and report an outage.
 */
export function protectionPlugin(limits: ProtectionLimits, requests: RequestLimits): ApolloServerPlugin<GatewayContext> {
  const measure = measurer();
  return {
    async requestDidStart() {
      let release: (() => void) | null = null;
      return {
        async didResolveOperation({ document, operation, request, contextValue, schema }) {
          const limited = requests.takeToken(contextValue.viewer, contextValue.remoteAddress);
          if (limited) throw refusalError(limited);
          if (!operation) return; // no such operation: GraphQL itself answers that
          const cost = measure(schema, document, operation, request.variables ?? {});
          const refusal = refusalOf(cost, limits);
          if (refusal) throw new GraphQLError(refusal, { extensions: { code: 'BAD_USER_INPUT', http: { status: 400 } } });
          // Without a key nothing reaches a service: every resolver asks for the caller first.
          if (cost.complexity < EXPENSIVE_COMPLEXITY || !contextValue.viewer) return;
          const slot = requests.expensiveSlot(contextValue.viewer);
          if (isRefusal(slot)) throw refusalError(slot);
          release = slot;
        },
        async willSendResponse() {
          release?.();
        },
      };
    },
  };
}
