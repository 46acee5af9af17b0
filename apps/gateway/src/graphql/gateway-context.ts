import { randomUUID } from 'node:crypto';
import { AppError, type Caller, type EventMetadata } from '#libs/contracts';
import type { Viewer } from '../identity/identity.js';
import type { Loaders } from './loaders.js';
import type { ServiceCalls } from './service-calls.js';

/** Per request (or per subscription): who calls, and the batched lookups its fields share. */
export interface GatewayContext {
  /** undefined: no credentials were sent; null: they name no live key. */
  viewer: Viewer | null | undefined;
  correlationId: string;
  loaders: Loaders;
  /** The client's address, for the rate limit of requests without a key. */
  remoteAddress?: string;
  /** The requests to services this HTTP request made, shared and counted; none for a subscription's updates. */
  serviceCalls?: ServiceCalls;
  /** Where the caller reaches this gateway's consoles (`ws://host:port`, `wss://…`). */
  consoleOrigin: string;
}

export function newCorrelationId(): string {
  return randomUUID();
}

/** The caller, or UNAUTHENTICATED. */
export function viewerOf(context: GatewayContext): Viewer {
  return authenticated(context.viewer);
}

/** The viewer the request's credentials named, or UNAUTHENTICATED: none were sent (undefined), or they name no live key (null). */
export function authenticated(viewer: Viewer | null | undefined): Viewer {
  if (viewer === undefined) throw new AppError('UNAUTHENTICATED', 'no API key: send Authorization: Bearer <secret>');
  if (viewer === null) throw new AppError('UNAUTHENTICATED', 'unknown or revoked API key');
  return viewer;
}

/** The metadata the events of this request carry: it is the viewer's doing, in its role. */
export function metadataOf(context: GatewayContext): EventMetadata {
  return metadataFor(viewerOf(context), context.correlationId);
}

function metadataFor(viewer: Viewer, correlationId: string): EventMetadata {
  return { correlationId, causationId: null, actor: { kind: 'account', accountId: viewer.accountId, role: viewer.role } };
}

/** What a request to a service carries: the accounts the caller may see, and the metadata of what it causes. */
export function callerOf(context: GatewayContext): Caller {
  return callerFor(viewerOf(context), context.correlationId);
}

/** callerOf for a request outside GraphQL, whose viewer is known. */
export function callerFor(viewer: Viewer, correlationId: string): Caller {
  return { accountIds: viewer.accountIds, metadata: metadataFor(viewer, correlationId) };
}

/** FORBIDDEN unless the caller has one of `roles`. */
export function requireRole(context: GatewayContext, roles: readonly Viewer['role'][], what: string): Viewer {
  const viewer = viewerOf(context);
  if (!roles.includes(viewer.role)) throw new AppError('FORBIDDEN', `a ${viewer.role} key cannot ${what}`);
  return viewer;
}

/**
 * A reseller sees its customers' things but changes only its own: FORBIDDEN for theirs (NOT_FOUND
 * beyond its tree). Other roles are left to the service's scope check; `find` runs for resellers only.
 */
export async function requireResellersOwn(viewer: Viewer, find: () => Promise<{ accountId: string } | null>, what: string): Promise<void> {
  if (viewer.role !== 'RESELLER') return;
  const thing = await find();
  if (!thing) throw AppError.notFound(what);
  if (thing.accountId !== viewer.accountId) throw new AppError('FORBIDDEN', `${what} is a customer's: a reseller sees its customers' things but changes only its own`);
}
