import { ApolloDriver, type ApolloDriverConfig } from '@nestjs/apollo';
import { Module, RequestMethod, type DynamicModule, type MiddlewareConsumer, type NestModule } from '@nestjs/common';
import { APP_FILTER } from '@nestjs/core';
import { ClientErrors } from './graphql/client-errors.filter.js';
import { GraphQLModule } from '@nestjs/graphql';
import { getOperationAST, GraphQLError, parse, type DocumentNode, type GraphQLSchema } from 'graphql';
import type { WebSocket } from 'ws';
import { ServiceClient } from '#libs/messaging';
import { EventSourcingModule, type DatabaseConfig } from '#libs/event-sourcing';
import { platformImports, readWholeNumber, type ServiceConfig } from '#libs/platform';
import { Authenticator } from './auth/authenticator.js';
import { ConcurrencyLimiter } from './auth/concurrency-limiter.js';
import { RateLimiter } from './auth/rate-limiter.js';
import { closingOf, SubscriberSockets } from './auth/subscriber-sockets.js';
import './graphql/enums.js';
import { formatGraphqlError } from './graphql/format-error.js';
import { GRAPHQL_PATH, GraphqlRequestErrors, requireJsonPosts } from './graphql/http-requests.js';
import { graphqlOverHttpPlugin } from './graphql/graphql-over-http.plugin.js';
import { newCorrelationId, type GatewayContext } from './graphql/gateway-context.js';
import { Loaders } from './graphql/loaders.js';
import { EXPENSIVE_PER_ACCOUNT, protectionPlugin, refusalOf, type ProtectionLimits } from './graphql/protection.plugin.js';
import { measureQuery } from './graphql/query-cost.js';
import { guardResolvers } from './graphql/resolver-guard.js';
import { RESOLVERS } from './graphql/resolvers.js';
import { GatewayServiceClient, ServiceCalls } from './graphql/service-calls.js';
import { identityEventStore } from './identity/identity.event-store.js';
import { Identity, type Viewer } from './identity/identity.js';
import { IdentityModule } from './identity/identity.module.js';
import { InstanceUpdates } from './instances/instance-updates.js';

/** The limits of what one request may ask, and how often a key may ask (README, configuration). */
function limitsFromEnvironment() {
  return {
    maxDepth: readWholeNumber('GRAPHQL_MAX_DEPTH', 12, { expected: 'a whole number from 2', min: 2 }),
    maxComplexity: readWholeNumber('GRAPHQL_MAX_COMPLEXITY', 5000, { expected: 'a whole number from 10', min: 10 }),
    perSecond: readWholeNumber('RATE_LIMIT_PER_SECOND', 20, { expected: 'requests a second, at least 1', min: 1 }),
    burst: readWholeNumber('RATE_LIMIT_BURST', 100, { expected: 'requests, at least 1', min: 1 }),
    perAccount: readWholeNumber('GATEWAY_REQUESTS_PER_ACCOUNT', 10, { expected: 'requests, at least 1', min: 1 }),
  };
}

/** How long a request waits for one of its account's slots before it is answered UNAVAILABLE. */
const ACCOUNT_SLOT_WAIT_MS = 10_000;

/**
 * A slot among its account's (or, without a key, its address's) requests running at once: one
 * tenant's burst is worked through a few at a time, so the gateway's one thread serves the other
 * tenants between them instead of after all of it.
 */
async function requestSlot(slots: ConcurrencyLimiter, key: string): Promise<() => void> {
  const release = await slots.acquire(key, ACCOUNT_SLOT_WAIT_MS);
  if (!release) {
    throw new GraphQLError(`the account has had ${slots.limit} requests under way for ${ACCOUNT_SLOT_WAIT_MS / 1000} s: retry`, {
      extensions: { code: 'UNAVAILABLE', http: { status: 503, headers: new Map([['retry-after', '1']]) } },
    });
  }
  return release;
}

/** The Authorization header of an HTTP request, or the `authorization` connection parameter of a graphql-ws socket. */
interface ContextSource {
  req?: { headers: Record<string, string | string[] | undefined>; ip?: string };
  res?: { once(event: 'close', listener: () => void): unknown };
  connectionParams?: Record<string, unknown>;
}

function authorizationOf(source: ContextSource): string | undefined {
  const value = source.req ? source.req.headers.authorization : (source.connectionParams?.authorization ?? source.connectionParams?.Authorization);
  return typeof value === 'string' ? value : undefined;
}

/** A subscription is measured as a query is: refused (BAD_USER_INPUT) when too deep or too costly. */
function refuseCostlySubscription(schema: GraphQLSchema | undefined, limits: ProtectionLimits, payload: { query: string; operationName?: string | null; variables?: Record<string, unknown> | null }) {
  let document: DocumentNode;
  try {
    document = parse(payload.query);
  } catch {
    return undefined; // graphql-ws answers a query that does not parse
  }
  const operation = getOperationAST(document, payload.operationName);
  if (!schema || !operation) return undefined;
  const refusal = refusalOf(measureQuery(schema, document, operation, payload.variables ?? {}), limits);
  return refusal ? [new GraphQLError(refusal, { extensions: { code: 'BAD_USER_INPUT' } })] : undefined;
}

/** The resolvers' client, which counts and shares the requests of each GraphQL operation (ServiceCalls), over the messaging module's. */
@Module({
  providers: [{ provide: GatewayServiceClient, inject: [ServiceClient], useFactory: (direct: ServiceClient) => new GatewayServiceClient(direct) }],
  exports: [GatewayServiceClient],
})
class GatewayServiceClientModule {}

/** The public GraphQL API (api/contract.graphql); it owns identity: accounts and API keys. */
@Module({})
export class GatewayModule implements NestModule {
  static forRoot(config: ServiceConfig, database: DatabaseConfig): DynamicModule {
    const limits = limitsFromEnvironment();
    return {
      module: GatewayModule,
      imports: [
        ...platformImports(config),
        EventSourcingModule.forService(identityEventStore, database),
        IdentityModule,
        GatewayServiceClientModule,
        GraphQLModule.forRootAsync<ApolloDriverConfig>({
          driver: ApolloDriver,
          imports: [IdentityModule, GatewayServiceClientModule],
          inject: [Identity, Authenticator, GatewayServiceClient, SubscriberSockets],
          useFactory: (identity: Identity, authenticator: Authenticator, client: GatewayServiceClient, sockets: SubscriberSockets): ApolloDriverConfig => {
            const loadersFor = (viewer: Viewer | null | undefined) => new Loaders(client, identity, viewer ?? { accountIds: [] });
            const accountSlots = new ConcurrencyLimiter(limits.perAccount);
            let served: GraphQLSchema | undefined;
            return {
              path: GRAPHQL_PATH,
              autoSchemaFile: true,
              sortSchema: true,
              transformSchema: (schema) => (served = guardResolvers(schema)),
              formatError: formatGraphqlError,
              // Whatever NODE_ENV says: a stack trace tells a caller nothing it can act on.
              includeStacktraceInErrorResponses: false,
              // Keys travel in an Authorization header, never a cookie, and only JSON POSTs execute (requireJsonPosts).
              csrfPrevention: false,
              plugins: [
                protectionPlugin(limits, new RateLimiter(limits.perSecond, limits.burst), new ConcurrencyLimiter(EXPENSIVE_PER_ACCOUNT)),
                graphqlOverHttpPlugin,
              ],
              context: async (source: ContextSource): Promise<GatewayContext> => {
                const viewer = await authenticator.viewerOf(authorizationOf(source));
                if (source.req) {
                  const releaseSlot = await requestSlot(accountSlots, viewer ? `account:${viewer.accountId}` : `address:${source.req.ip}`);
                  // However the request ends (answered, refused before it ran, or its client gone), its slot is given back.
                  source.res!.once('close', releaseSlot);
                  return { viewer, correlationId: newCorrelationId(), loaders: loadersFor(viewer), remoteAddress: source.req.ip, serviceCalls: new ServiceCalls() };
                }
                // A subscription's context lives as long as it does: each update gets fresh lookups, not the first one's.
                return { viewer, correlationId: newCorrelationId(), get loaders() { return loadersFor(viewer); } };
              },
              subscriptions: {
                'graphql-ws': {
                  // A socket needs a live key of an account that is neither SUSPENDED nor CLOSED, else it is closed at once
                  // (4403 Forbidden); SubscriberSockets closes it later if either changes.
                  onConnect: async (context) => {
                    const viewer = await authenticator.viewerOf(authorizationOf(context));
                    if (!viewer || closingOf({ revoked: false, accountStatus: viewer.accountStatus })) return false;
                    sockets.add((context.extra as { socket: WebSocket }).socket, viewer.apiKeyId);
                    return true;
                  },
                  onSubscribe: (_context, _id, payload) => refuseCostlySubscription(served, limits, payload),
                  // graphql-ws sends a subscription's errors as GraphQL made them: they leave with their codes, as over HTTP.
                  onNext: (_context, _id, _payload, _args, result) =>
                    result.errors ? { ...result, errors: result.errors.map((error) => formatGraphqlError(error.toJSON(), error)) } : undefined,
                },
              },
            };
          },
        }),
      ],
      providers: [
        { provide: APP_FILTER, useClass: GraphqlRequestErrors },
        { provide: APP_FILTER, useClass: ClientErrors },
        InstanceUpdates,
        ...RESOLVERS,
      ],
    };
  }

  configure(consumer: MiddlewareConsumer): void {
    consumer.apply(requireJsonPosts).forRoutes({ path: GRAPHQL_PATH, method: RequestMethod.POST });
  }
}
