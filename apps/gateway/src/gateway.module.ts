import { ApolloDriver, type ApolloDriverConfig } from '@nestjs/apollo';
import { Module, type DynamicModule } from '@nestjs/common';
import { GraphQLModule } from '@nestjs/graphql';
import { ServiceClient } from '#libs/messaging';
import { platformImports, readWholeNumber, type ServiceConfig } from '#libs/platform';
import { AccountsResolver, ApiKeysResolver } from './accounts/accounts.resolver.js';
import { Authenticator } from './auth/authenticator.js';
import { RateLimiter } from './auth/rate-limiter.js';
import { CatalogResolver, HostsResolver } from './catalog/catalog.resolver.js';
import './graphql/enums.js';
import { formatGraphqlError } from './graphql/format-error.js';
import { graphqlOverHttpPlugin } from './graphql/graphql-over-http.plugin.js';
import { newCorrelationId, type GatewayContext } from './graphql/gateway-context.js';
import { Loaders } from './graphql/loaders.js';
import { protectionPlugin } from './graphql/protection.plugin.js';
import { identityEventStore } from './identity/identity.event-store.js';
import { Identity, type Viewer } from './identity/identity.js';
import { IdentityModule } from './identity/identity.module.js';
import { InstanceUpdates } from './instances/instance-updates.js';
import { InstancesResolver } from './instances/instances.resolver.js';
import { CreditNotesResolver, InvoicesResolver } from './invoices/invoices.resolver.js';
import { IpAddressesResolver } from './ips/ip-addresses.resolver.js';
import { ServiceStatusResolver } from './status/service-status.resolver.js';

/** The limits of what one request may ask, and how often a key may ask (README, configuration). */
function limitsFromEnvironment() {
  return {
    maxDepth: readWholeNumber('GRAPHQL_MAX_DEPTH', 12, { expected: 'a whole number from 2', min: 2 }),
    maxComplexity: readWholeNumber('GRAPHQL_MAX_COMPLEXITY', 5000, { expected: 'a whole number from 10', min: 10 }),
    perSecond: readWholeNumber('RATE_LIMIT_PER_SECOND', 20, { expected: 'requests a second, at least 1', min: 1 }),
    burst: readWholeNumber('RATE_LIMIT_BURST', 100, { expected: 'requests, at least 1', min: 1 }),
  };
}

/** The Authorization header of an HTTP request, or the `authorization` connection parameter of a graphql-ws socket. */
interface ContextSource {
  req?: { headers: Record<string, string | string[] | undefined>; ip?: string };
  connectionParams?: Record<string, unknown>;
}

function authorizationOf(source: ContextSource): string | undefined {
  const value = source.req ? source.req.headers.authorization : (source.connectionParams?.authorization ?? source.connectionParams?.Authorization);
  return typeof value === 'string' ? value : undefined;
}

/** The public GraphQL API (api/contract.graphql); it owns identity: accounts and API keys. */
@Module({})
export class GatewayModule {
  static forRoot(config: ServiceConfig): DynamicModule {
    const limits = limitsFromEnvironment();
    return {
      module: GatewayModule,
      imports: [
        ...platformImports(config, identityEventStore),
        IdentityModule,
        GraphQLModule.forRootAsync<ApolloDriverConfig>({
          driver: ApolloDriver,
          imports: [IdentityModule],
          inject: [Identity, Authenticator, ServiceClient],
          useFactory: (identity: Identity, authenticator: Authenticator, client: ServiceClient): ApolloDriverConfig => {
            const loadersFor = (viewer: Viewer | null | undefined) => new Loaders(client, identity, viewer ?? { accountIds: [] });
            return {
              path: '/graphql',
              autoSchemaFile: true,
              sortSchema: true,
              formatError: formatGraphqlError,
              // Whatever NODE_ENV says: a stack trace tells a caller nothing it can act on.
              includeStacktraceInErrorResponses: false,
              // Keys travel in an Authorization header, never a cookie: a page on another site cannot act as a user.
              csrfPrevention: false,
              plugins: [protectionPlugin(limits, new RateLimiter(limits.perSecond, limits.burst)), graphqlOverHttpPlugin],
              context: async (source: ContextSource): Promise<GatewayContext> => {
                const viewer = await authenticator.viewerOf(authorizationOf(source));
                if (source.req) return { viewer, correlationId: newCorrelationId(), loaders: loadersFor(viewer), remoteAddress: source.req.ip };
                // A subscription's context lives as long as it does: each update gets fresh lookups, not the first one's.
                return { viewer, correlationId: newCorrelationId(), get loaders() { return loadersFor(viewer); } };
              },
              subscriptions: {
                'graphql-ws': {
                  // A socket without a live key is closed at once (4403 Forbidden).
                  onConnect: async (context: ContextSource) => Boolean(await authenticator.viewerOf(authorizationOf(context))),
                },
              },
            };
          },
        }),
      ],
      providers: [
        InstanceUpdates,
        ServiceStatusResolver,
        AccountsResolver,
        ApiKeysResolver,
        CatalogResolver,
        HostsResolver,
        InstancesResolver,
        IpAddressesResolver,
        InvoicesResolver,
        CreditNotesResolver,
      ],
    };
  }
}
