import type { ApolloServerPlugin } from '@apollo/server';
import { GraphQLError } from 'graphql';
import type { RateLimiter } from '../auth/rate-limiter.js';
import type { GatewayContext } from './gateway-context.js';
import { measureQuery } from './query-cost.js';

export interface ProtectionLimits {
  maxDepth: number;
  maxComplexity: number;
}

/**
 * Before an operation runs: the caller's rate (per API key, per address without one), then what
 * the query may cost. Refusals are errors with a code and an HTTP status, and nothing is executed.
 */
export function protectionPlugin(limits: ProtectionLimits, limiter: RateLimiter): ApolloServerPlugin<GatewayContext> {
  return {
    async requestDidStart() {
      return {
        async didResolveOperation({ document, operation, request, contextValue }) {
          const key = contextValue.viewer ? `key:${contextValue.viewer.apiKeyId}` : `address:${contextValue.remoteAddress ?? 'unknown'}`;
          if (!limiter.take(key)) {
            const retryAfter = limiter.retryAfter(key);
            throw new GraphQLError(`rate limit exceeded: try again in ${retryAfter} s`, {
              extensions: { code: 'RATE_LIMITED', retryAfter, http: { status: 429, headers: new Map([['retry-after', String(retryAfter)]]) } },
            });
          }
          if (!operation) return; // no such operation: GraphQL itself answers that
          const cost = measureQuery(document, operation, request.variables ?? {});
          const refuse = (message: string) => new GraphQLError(message, { extensions: { code: 'BAD_USER_INPUT', http: { status: 400 } } });
          if (cost.depth > limits.maxDepth) throw refuse(`query: depth ${cost.depth} is over the limit of ${limits.maxDepth}`);
          if (cost.complexity > limits.maxComplexity) {
            throw refuse(`query: complexity ${cost.complexity} is over the limit of ${limits.maxComplexity} (ask for smaller pages, or fewer nested lists)`);
          }
        },
      };
    },
  };
}
