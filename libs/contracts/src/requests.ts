import type { BillingRequests } from './billing.js';
import type { ComputeRequests } from './compute.js';
import type { NetworkRequests } from './network.js';

/**
 * Request-reply between the services, typed once for both sides: each service's map says, per
 * subject, what is sent and what comes back. ServiceClient.call and @Handles check callers and
 * handlers against it, so a renamed field breaks the build, not a request at run time.
 */

/** One page of a list, with cursors to go on from. */
export interface Page<T> {
  edges: { cursor: string; node: T }[];
  pageInfo: { hasNextPage: boolean; endCursor: string | null };
}

/** A page that also counts everything the list holds. */
export type CountedPage<T> = Page<T> & { totalCount: number };

/** A page counted unless its request said `count: false` (a caller that does not show the total). */
export type MaybeCountedPage<T> = Page<T> & { totalCount?: number };

export type CheckStatus = 'up' | 'down';

/** A service's view of its own connections and known problems, as `GET /health` and `<service>.health` answer. */
export interface Health {
  service: string;
  status: 'ok' | 'degraded';
  checks: Record<string, CheckStatus>;
  /** What the service knows is wrong beyond its connections, each in a sentence (a bridge it refused). */
  problems?: string[];
}

export type HealthRequests = {
  [S in `${'gateway' | 'compute' | 'network' | 'billing'}.health`]: { request: Record<string, never>; reply: Health };
};

/** Every request-reply subject of Awan's services but the agents' (AgentCommands). */
export type ServiceRequests = ComputeRequests & NetworkRequests & BillingRequests & HealthRequests;
export type Subject = keyof ServiceRequests;
export type RequestOf<S extends Subject> = ServiceRequests[S]['request'];
export type ReplyOf<S extends Subject> = ServiceRequests[S]['reply'];
