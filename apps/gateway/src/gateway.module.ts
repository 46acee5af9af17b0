import type { ApolloDriverConfig } from '@nestjs/apollo';
import { Logger, Module, RequestMethod, type DynamicModule, type MiddlewareConsumer, type NestModule } from '@nestjs/common';
import { APP_FILTER, HttpAdapterHost } from '@nestjs/core';
import type { NatsConnection } from '@nats-io/transport-node';
import { GraphQLModule } from '@nestjs/graphql';
import type pg from 'pg';
import { SYSTEM_ACTOR } from '#libs/contracts';
import { EventStore } from '#libs/event-store';
import { EventSourcingModule, PG_POOL, type DatabaseConfig } from '#libs/event-sourcing';
import { ServiceClient } from '#libs/messaging';
import { NATS_CONNECTION, platformImports, type ServiceConfig } from '#libs/platform';
import { tracingEnabled } from '#libs/tracing';
import { Authenticator } from './auth/authenticator.js';
import { RequestLimits } from './auth/request-limits.js';
import { SubscriberSockets } from './auth/subscriber-sockets.js';
import { ConsoleSockets } from './consoles/console-sockets.js';
import { ConsoleTokens } from './consoles/console-tokens.js';
import type { GatewayConfig } from './gateway.config.js';
import { ClientErrors } from './graphql/client-errors.filter.js';
import { graphqlOptions } from './graphql/graphql-options.js';
import { apolloDriverWithSockets } from './graphql/graphql-sockets.driver.js';
import { GRAPHQL_PATH, GraphqlRequestErrors, requireJsonPosts } from './graphql/http-requests.js';
import { RESOLVERS } from './graphql/resolvers.js';
import { GatewayServiceClient } from './graphql/service-calls.js';
import { traceGraphqlRequests } from './graphql/tracing.plugin.js';
import { BillingStandingConsumer } from './identity/billing-standing.consumer.js';
import { identityEventStore } from './identity/identity.event-store.js';
import { Identity } from './identity/identity.js';
import { IdentityRepository } from './identity/identity.repository.js';
import { InstanceUpdates } from './instances/instance-updates.js';
import { InvoiceDocuments } from './invoices/invoice-documents.js';
import { InvoiceDocumentsController } from './invoices/invoice-documents.controller.js';
import { AuthController } from './people/auth.controller.js';
import { LinkMails } from './people/link-mails.js';
import { mailerFor } from './people/mailer.js';
import { People } from './people/people.js';
import { SessionAuth } from './people/session-auth.js';
import { StorefrontController } from './storefronts/storefront.controller.js';
import { Storefronts } from './storefronts/storefronts.js';
import { WebConsole } from './web/web-console.js';

const logger = new Logger('identity');

/** How often a replica checks the keys of its subscribers' sockets: twice within the key cache's time, so a socket is closed within it. */
const socketCheckEveryMs = (config: GatewayConfig) => Math.max(100, Math.floor(config.apiKeyCacheMs / 2));

/** What the GraphQL server and the resolvers share: one module, imported by both, so each is made once. */
@Module({})
class GatewayPartsModule {}

/**
 * Identity (the platform and its ADMIN key made before the API serves), the callers' keys and
 * subscribers' sockets, the client the resolvers ask the services with, and the consumer and feed
 * that start and stop with the application.
 */
function gatewayParts(config: GatewayConfig): DynamicModule {
  return {
    module: GatewayPartsModule,
    providers: [
      { provide: IdentityRepository, inject: [PG_POOL], useFactory: (pool: pg.Pool) => new IdentityRepository(pool) },
      {
        provide: Identity,
        inject: [PG_POOL, EventStore, IdentityRepository, ServiceClient],
        useFactory: async (pool: pg.Pool, store: EventStore, repository: IdentityRepository, client: ServiceClient) => {
          const identity = new Identity(pool, store, repository, () => client.call('billing.price.currencies', {}));
          const made = await identity.bootstrap(config.platform, { correlationId: 'first-start', causationId: null, actor: SYSTEM_ACTOR });
          if (made?.generatedSecret) {
            // Printed this once: only its hash is kept.
            logger.log(`the platform account was made; its ADMIN API key (shown once, keep it): ${made.generatedSecret}`);
          } else if (made) {
            logger.log('the platform account was made; its ADMIN API key is AWAN_ADMIN_API_KEY');
          }
          return identity;
        },
      },
      {
        provide: Authenticator,
        inject: [Identity, RequestLimits],
        useFactory: (identity: Identity, limits: RequestLimits) =>
          new Authenticator(identity, limits, {
            cacheMs: config.apiKeyCacheMs,
            touchEveryMs: 60_000,
            onTouchError: (error) => logger.warn(`lastUsedAt not kept: ${error.message}`),
          }),
      },
      // People who sign in: their sessions stand for viewers as keys do.
      {
        provide: LinkMails,
        inject: [PG_POOL],
        useFactory: (pool: pg.Pool) => new LinkMails(pool, mailerFor(config.people.smtpUrl, config.people.mailFrom), { ...config.people, issuer: config.platform.name }),
      },
      {
        provide: People,
        inject: [PG_POOL, Identity, LinkMails],
        useFactory: (pool: pg.Pool, identity: Identity, links: LinkMails) => new People(pool, identity, links, config.people, config.platform.name),
      },
      { provide: SessionAuth, inject: [People, RequestLimits], useFactory: (people: People, limits: RequestLimits) => new SessionAuth(people, limits, config.publicUrl) },
      {
        provide: Storefronts, inject: [PG_POOL, Identity, People, GatewayServiceClient],
        useFactory: (pool: pg.Pool, identity: Identity, people: People, client: GatewayServiceClient) => new Storefronts(pool, identity, people, client),
      },
      // One per replica: /graphql and the invoice documents share each caller's allowance.
      { provide: RequestLimits, useValue: new RequestLimits({ ...config.rateLimit, requestsPerAccount: config.requestsPerAccount }) },
      {
        provide: SubscriberSockets,
        inject: [Identity],
        useFactory: (identity: Identity) =>
          new SubscriberSockets(identity, {
            checkEveryMs: socketCheckEveryMs(config),
            onCheckError: (error) => logger.warn(`subscriber keys not checked: ${error.message}`),
          }),
      },
      // Every resolver's requests to services go through its operation's ServiceCalls.
      { provide: GatewayServiceClient, inject: [ServiceClient], useFactory: (client: ServiceClient) => new GatewayServiceClient(client) },
      BillingStandingConsumer,
      InstanceUpdates,
      { provide: ConsoleTokens, inject: [PG_POOL], useFactory: (pool: pg.Pool) => new ConsoleTokens(pool, config.console.tokenTtlMs) },
      {
        provide: ConsoleSockets,
        inject: [HttpAdapterHost, ConsoleTokens, Identity, SubscriberSockets, InstanceUpdates, ServiceClient, NATS_CONNECTION],
        useFactory: (
          adapter: HttpAdapterHost, tokens: ConsoleTokens, identity: Identity, sockets: SubscriberSockets, updates: InstanceUpdates, client: ServiceClient, nats: NatsConnection,
        ) => new ConsoleSockets(() => adapter.httpAdapter.getHttpServer(), { tokens, identity, sockets, updates, client, nats }, { idleTimeoutMs: config.console.idleTimeoutMs }),
      },
    ],
    exports: [Identity, Authenticator, RequestLimits, SubscriberSockets, GatewayServiceClient, InstanceUpdates, ConsoleTokens, People, SessionAuth, Storefronts],
  };
}

/**
 * The gateway: the public GraphQL API (api/contract.graphql), and identity, which it owns (accounts
 * and API keys). Its one composition root: the configuration main.ts read, the parts, the GraphQL
 * server over them, the resolvers, and the invoice documents' routes beside /graphql.
 */
@Module({})
export class GatewayModule implements NestModule {
  static forRoot(service: ServiceConfig, database: DatabaseConfig, config: GatewayConfig): DynamicModule {
    const parts = gatewayParts(config);
    return {
      module: GatewayModule,
      imports: [
        ...platformImports(service),
        EventSourcingModule.forService(identityEventStore, database),
        parts,
        GraphQLModule.forRootAsync<ApolloDriverConfig>({
          driver: apolloDriverWithSockets(config.maxRequestBytes),
          imports: [parts],
          inject: [Identity, Authenticator, GatewayServiceClient, SubscriberSockets, RequestLimits, SessionAuth],
          useFactory: (identity: Identity, authenticator: Authenticator, client: GatewayServiceClient, sockets: SubscriberSockets, limits: RequestLimits, sessions: SessionAuth) =>
            graphqlOptions(config, { identity, authenticator, client, sockets, limits, sessions }),
        }),
      ],
      controllers: [InvoiceDocumentsController, AuthController, StorefrontController],
      providers: [
        // Nest asks the last one first: a request /graphql cannot read is answered before any other error.
        { provide: APP_FILTER, useClass: ClientErrors },
        { provide: APP_FILTER, useClass: GraphqlRequestErrors },
        ...RESOLVERS,
        { provide: InvoiceDocuments, inject: [GatewayServiceClient, Identity], useFactory: (client: GatewayServiceClient, identity: Identity) => new InvoiceDocuments(client, identity) },
        // The web console at /: what no route above answers (see WebConsole).
        { provide: WebConsole, inject: [HttpAdapterHost], useFactory: (adapter: HttpAdapterHost) => new WebConsole(adapter) },
      ],
    };
  }

  configure(consumer: MiddlewareConsumer): void {
    consumer.apply(requireJsonPosts).forRoutes({ path: GRAPHQL_PATH, method: RequestMethod.POST });
    // Where the gateway traces, each GraphQL request is a span its whole handling runs inside.
    if (tracingEnabled()) consumer.apply(traceGraphqlRequests).forRoutes({ path: GRAPHQL_PATH, method: RequestMethod.POST });
  }
}
