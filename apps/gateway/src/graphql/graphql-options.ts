import { ApolloServerPluginCacheControlDisabled } from '@apollo/server/plugin/disabled';
import type { ApolloDriverConfig } from '@nestjs/apollo';
import { getOperationAST, GraphQLError, parse, type DocumentNode, type GraphQLSchema } from 'graphql';
import type { WebSocket } from 'ws';
import { AppError } from '#libs/contracts';
import { metricsEnabled } from '#libs/metrics';
import { tracingEnabled } from '#libs/tracing';
import type { Authenticator } from '../auth/authenticator.js';
import { isRefusal, RefusedRequest, type RequestLimits } from '../auth/request-limits.js';
import type { SubscriberSockets } from '../auth/subscriber-sockets.js';
import type { GatewayConfig } from '../gateway.config.js';
import { consoleOriginOf } from '../consoles/console-tokens.js';
import type { Identity, Viewer } from '../identity/identity.js';
import type { SessionAuth } from '../people/session-auth.js';
import { formatGraphqlError } from './format-error.js';
import { newCorrelationId, type GatewayContext } from './gateway-context.js';
import { graphqlOverHttpPlugin } from './graphql-over-http.plugin.js';
import type { UpgradeRequest } from './graphql-sockets.driver.js';
import { GRAPHQL_PATH } from './http-requests.js';
import { Loaders } from './loaders.js';
import { metricsPlugin } from './metrics.plugin.js';
import { protectionPlugin, refusalError, refusalOf, type ProtectionLimits } from './protection.plugin.js';
import { measureQuery } from './query-cost.js';
import { guardResolvers } from './resolver-guard.js';
import { ServiceCalls, type GatewayServiceClient } from './service-calls.js';
import { tracingPlugin } from './tracing.plugin.js';

/** The Authorization header of an HTTP request, or the `authorization` connection parameter of a graphql-ws socket. */
interface ContextSource {
  req?: { headers: Record<string, string | string[] | undefined>; ip?: string };
  res?: { once(event: 'close', listener: () => void): unknown };
  connectionParams?: Record<string, unknown>;
  /** A graphql-ws socket's own: its upgrade request among them. */
  extra?: unknown;
}

function authorizationOf(source: ContextSource): string | undefined {
  const value = source.req ? source.req.headers.authorization : (source.connectionParams?.authorization ?? source.connectionParams?.Authorization);
  return typeof value === 'string' ? value : undefined;
}

/** The most subscriptions one socket carries: a page listens to a few. */
export const SUBSCRIPTIONS_PER_SOCKET = 100;

/** A graphql-ws socket's own part of its context: the socket, and the request that opened it. */
interface SocketExtra {
  socket: WebSocket;
  request?: UpgradeRequest;
}

/**
 * Why a socket's subscribe is refused before it runs, if it is: a query or mutation (they go as POST
 * /graphql, where the account's slots and each request's service calls are counted, as nothing counts
 * them on a socket), one subscription too many on the socket, the key's rate spent (a subscribe takes
 * a token, as a request does), or its cost.
 */
function refuseSubscribe(
  parts: { schema: GraphQLSchema | undefined; limits: ProtectionLimits; requests: RequestLimits; sockets: SubscriberSockets },
  context: { extra: unknown; subscriptions: Record<string, unknown> },
  payload: { query: string; operationName?: string | null; variables?: Record<string, unknown> | null },
): GraphQLError[] | undefined {
  let document: DocumentNode;
  try {
    document = parse(payload.query);
  } catch {
    return undefined; // graphql-ws answers a query that does not parse
  }
  const operation = getOperationAST(document, payload.operationName);
  if (!parts.schema || !operation) return undefined;
  const refused = (code: string, message: string, more: Record<string, unknown> = {}) => [new GraphQLError(message, { extensions: { code, ...more } })];
  if (operation.operation !== 'subscription') return refused('BAD_USER_INPUT', `a ${operation.operation} goes as POST /graphql: this socket carries subscriptions`);
  // graphql-ws counts this one among them already.
  if (Object.keys(context.subscriptions).length > SUBSCRIPTIONS_PER_SOCKET) {
    return refused('RATE_LIMITED', `a socket carries at most ${SUBSCRIPTIONS_PER_SOCKET} subscriptions: complete one first`);
  }
  const { socket, request } = context.extra as SocketExtra;
  const limited = parts.requests.takeToken(parts.sockets.viewerOf(socket), request?.ip);
  if (limited) return refused(limited.code, limited.message, { retryAfter: limited.retryAfter });
  const refusal = refusalOf(measureQuery(parts.schema, document, operation, payload.variables ?? {}), parts.limits);
  return refusal ? refused('BAD_USER_INPUT', refusal) : undefined;
}

/** What the API's server works with: who calls, how to ask the services, and the sockets of subscribers. */
export interface GraphqlServerParts {
  identity: Identity;
  authenticator: Authenticator;
  client: GatewayServiceClient;
  sockets: SubscriberSockets;
  /** Shared with the gateway's other routes, so they count against the same allowance. */
  limits: RequestLimits;
  /** Signed-in people's session cookies, taken where no Authorization is sent. */
  sessions: SessionAuth;
}

/**
 * The caller of a request or socket: its API key where it sends one, else its session cookie
 * (refused, FORBIDDEN, from another origin or without the session's CSRF token). RATE_LIMITED where
 * its address has looked up too many unknown keys or sessions.
 */
async function callerOf(source: ContextSource, authenticator: Authenticator, sessions: SessionAuth): Promise<Viewer | null | undefined> {
  const authorization = authorizationOf(source);
  const upgrade = (source.extra as SocketExtra | undefined)?.request;
  const request = source.req ?? upgrade;
  try {
    if (authorization || !request) return await authenticator.viewerOf(authorization, request?.ip);
    const holder = await sessions.holderOf(request, source.req ? { checkCsrf: true } : { checkCsrf: true, csrf: source.connectionParams?.csrfToken ?? null });
    return holder === undefined ? undefined : (holder?.viewer ?? null);
  } catch (error) {
    if (error instanceof RefusedRequest) throw refusalError(error.refusal);
    if (!(error instanceof AppError)) throw error; // the database busy or away: UNAVAILABLE, not a refusal
    throw new GraphQLError(error.message, { extensions: { code: 'FORBIDDEN', http: { status: 403 } } });
  }
}

/**
 * The GraphQL server of the API (api/contract.graphql): its schema guarded, its errors formatted,
 * each request's context (the caller, its lookups, its share of its account's slots), the
 * protections before an operation runs, and subscriptions over graphql-ws.
 */
export function graphqlOptions(config: GatewayConfig, { identity, authenticator, client, sockets, limits, sessions }: GraphqlServerParts): ApolloDriverConfig {
  const loadersFor = (viewer: Viewer | null | undefined) => {
    const loaders = new Loaders(client, identity, viewer ?? { accountIds: [] });
    // The caller's own account came with its key's check (as old as the viewer itself): `me` asks nothing more.
    if (viewer?.account) loaders.accounts.prime(viewer.accountId, viewer.account);
    return loaders;
  };
  let served: GraphQLSchema | undefined;
  return {
    path: GRAPHQL_PATH,
    autoSchemaFile: true,
    sortSchema: true,
    transformSchema: (schema) => (served = guardResolvers(schema)),
    formatError: formatGraphqlError,
    // Whatever NODE_ENV says (the Docker image sets production): a stack trace tells a caller nothing it can
    // act on, and the schema is the published contract, which clients' tools read by introspection.
    includeStacktraceInErrorResponses: false,
    introspection: true,
    // Nest's GraphiQL page (scripts from a CDN, on the console's origin) is served unless NODE_ENV=production: never.
    graphiql: false,
    // Only JSON POSTs execute (requireJsonPosts), and a session cookie counts only with the session's
    // CSRF token in X-CSRF-Token from the gateway's own origin (SessionAuth): Apollo's own check adds nothing.
    csrfPrevention: false,
    plugins: [
      // Where the gateway traces: each request's span named for its operation, and failed by its errors.
      ...(tracingEnabled() ? [tracingPlugin] : []),
      ...(metricsEnabled() ? [metricsPlugin()] : []),
      protectionPlugin(config.query, limits),
      graphqlOverHttpPlugin,
      // No field has a cache hint, and every answer is no-store (graphqlOverHttpPlugin): Apollo's
      // default plugin would only have made every field of every response run through a hook of its own.
      ApolloServerPluginCacheControlDisabled(),
    ],
    context: async (source: ContextSource): Promise<GatewayContext> => {
      const viewer = await callerOf(source, authenticator, sessions);
      if (source.req) {
        const releaseSlot = await limits.requestSlot(viewer, source.req.ip);
        if (isRefusal(releaseSlot)) throw refusalError(releaseSlot);
        // However the request ends (answered, refused before it ran, or its client gone), its slot is given back.
        source.res!.once('close', releaseSlot);
        return {
          viewer, correlationId: newCorrelationId(), loaders: loadersFor(viewer), remoteAddress: source.req.ip, serviceCalls: new ServiceCalls(),
          consoleOrigin: consoleOriginOf(config.publicUrl, source.req.headers.host),
        };
      }
      // A subscription's context lives as long as it does: each update gets fresh lookups, not the first one's.
      const consoleOrigin = consoleOriginOf(config.publicUrl, (source.extra as { request?: { headers: { host?: string } } } | undefined)?.request?.headers.host);
      return { viewer, correlationId: newCorrelationId(), consoleOrigin, get loaders() { return loadersFor(viewer); } };
    },
    subscriptions: {
      'graphql-ws': {
        // A socket needs a live key of an account that is neither SUSPENDED nor CLOSED, else it is closed at once
        // saying why; SubscriberSockets closes it later if either changes.
        onConnect: (context) => sockets.admit((context.extra as { socket: WebSocket }).socket, callerOf(context as ContextSource, authenticator, sessions)),
        onSubscribe: (context, _id, payload) => refuseSubscribe({ schema: served, limits: config.query, requests: limits, sockets }, context, payload),
        // graphql-ws sends a subscription's errors as GraphQL made them: they leave with their codes, as over HTTP.
        onNext: (_context, _id, _payload, _args, result) =>
          result.errors ? { ...result, errors: result.errors.map((error) => formatGraphqlError(error.toJSON(), error)) } : undefined,
      },
    },
  };
}
