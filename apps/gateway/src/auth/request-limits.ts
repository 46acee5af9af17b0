import { counter } from '#libs/metrics';
import type { Viewer } from '../identity/identity.js';
import { callerAddress } from './caller-address.js';
import { ConcurrencyLimiter, RateLimiter } from '#libs/platform';

/**
 * Lookups of credentials the gateway does not know yet (an API key, a session cookie) that find
 * nothing, per caller address and replica: a second's worth, and a burst. Any string is a bearer
 * token or a cookie, and each unknown one is a query of the gateway's database.
 */
export const UNKNOWN_CREDENTIALS_PER_SECOND = 10;
export const UNKNOWN_CREDENTIALS_BURST = 50;

/** How long a request waits for one of its account's slots before it is answered UNAVAILABLE. */
const ACCOUNT_SLOT_WAIT_MS = 10_000;
/** How many expensive requests an account may have running at once on one gateway replica. */
export const EXPENSIVE_PER_ACCOUNT = 2;

/**
 * Why a request is not served now, and when to ask again. RATE_LIMITED (429) is the caller's own
 * load, which it can lower; UNAVAILABLE (503) is a wait that ran out.
 */
export interface Refusal {
  code: 'RATE_LIMITED' | 'UNAVAILABLE';
  status: 429 | 503;
  message: string;
  retryAfter: number;
}

const refusals = counter<'limit'>({
  name: 'awan_gateway_rate_limited_total',
  help: 'Requests the gateway refused for its limits: rate (per key), expensive (per account, RATE_LIMITED), account-slots (none free in time, UNAVAILABLE), unknown-credentials (per address, RATE_LIMITED).',
  labelNames: ['limit'],
});

export const isRefusal = (value: unknown): value is Refusal => typeof value === 'object' && value !== null && 'retryAfter' in value;

/** A refusal thrown from where a caller is looked up, before the request has a frame to answer it in. */
export class RefusedRequest extends Error {
  constructor(readonly refusal: Refusal) {
    super(refusal.message);
    this.name = 'RefusedRequest';
  }
}

/** A token of `key`'s bucket in `limiter`, or RATE_LIMITED saying `why`, counted under `limit`, and when to ask again. */
function tokenOf(limiter: RateLimiter, key: string, limit: string, why: string): Refusal | null {
  if (limiter.take(key)) return null;
  refusals.inc({ limit });
  const retryAfter = limiter.retryAfter(key);
  return { code: 'RATE_LIMITED', status: 429, message: `${why}: try again in ${retryAfter} s`, retryAfter };
}

/** Whom a request counts against: its API key's account, or its address without a key. */
const whose = (viewer: Viewer | null | undefined, address: string | undefined, of: 'key' | 'account') =>
  viewer ? `${of}:${of === 'key' ? viewer.apiKeyId : viewer.accountId}` : `address:${callerAddress(address)}`;

/**
 * What every request to a gateway replica is held to, whichever route it takes (/graphql, the
 * invoice documents): one rate per key, a few requests of an account at once, and fewer of its
 * expensive ones. One instance per replica, so the routes share each caller's allowance.
 */
export class RequestLimits {
  private readonly rate: RateLimiter;
  private readonly accountSlots: ConcurrencyLimiter;
  private readonly expensive = new ConcurrencyLimiter(EXPENSIVE_PER_ACCOUNT);
  private readonly unknownCredentials = new RateLimiter(UNKNOWN_CREDENTIALS_PER_SECOND, UNKNOWN_CREDENTIALS_BURST);
  /** Lookups under way, by the kind and hash of the credential they look up. */
  private readonly lookups = new Map<string, Promise<unknown>>();

  constructor(options: { perSecond: number; burst: number; requestsPerAccount: number }) {
    this.rate = new RateLimiter(options.perSecond, options.burst);
    this.accountSlots = new ConcurrencyLimiter(options.requestsPerAccount);
  }

  /** A token from the caller's bucket (its key's, or its address's without one), or RATE_LIMITED. */
  takeToken(viewer: Viewer | null | undefined, address: string | undefined): Refusal | null {
    return tokenOf(this.rate, whose(viewer, address, 'key'), 'rate', 'rate limit exceeded');
  }

  /**
   * `lookUp` of a credential the replica does not know yet (named by its kind and hash), paid for with a
   * token of the caller's address, given back when it finds one (or fails on its own): made-up keys
   * and cookies cost the database at most that address's allowance, and a key's first use costs
   * nothing of it. Concurrent lookups of one credential share the first one's lookup and pay
   * nothing: a client's burst with a key this replica has not cached yet (or no longer) is one
   * lookup, where each request of it took a token until its lookup ended, and the burst beyond the
   * allowance was refused. Throws RefusedRequest (RATE_LIMITED) once the address has spent it.
   */
  credentialLookup<T>(address: string | undefined, credential: string, lookUp: () => Promise<T | null>): Promise<T | null> {
    const pending = this.lookups.get(credential) as Promise<T | null> | undefined;
    if (pending) return pending;
    const lookup = this.paidLookup(address, lookUp).finally(() => this.lookups.delete(credential));
    this.lookups.set(credential, lookup);
    return lookup;
  }

  private async paidLookup<T>(address: string | undefined, lookUp: () => Promise<T | null>): Promise<T | null> {
    const key = `address:${callerAddress(address)}`;
    const refused = tokenOf(this.unknownCredentials, key, 'unknown-credentials', 'too many unknown API keys or sessions from this address');
    if (refused) throw new RefusedRequest(refused);
    let found: T | null;
    try {
      found = await lookUp();
    } catch (error) {
      this.unknownCredentials.giveBack(key); // the database's fault, not the caller's
      throw error;
    }
    if (found !== null) this.unknownCredentials.giveBack(key);
    return found;
  }

  /**
   * One of its account's (or address's) slots, as the function that gives it back: one tenant's
   * burst is worked through a few at a time, so the gateway's one thread serves the other tenants
   * between them instead of after all of it. UNAVAILABLE when none came free in time.
   */
  async requestSlot(viewer: Viewer | null | undefined, address: string | undefined): Promise<(() => void) | Refusal> {
    const release = await this.accountSlots.acquire(whose(viewer, address, 'account'), ACCOUNT_SLOT_WAIT_MS);
    if (!release) refusals.inc({ limit: 'account-slots' });
    return release ?? {
      code: 'UNAVAILABLE', status: 503, retryAfter: 1,
      message: `the account has had ${this.accountSlots.limit} requests under way for ${ACCOUNT_SLOT_WAIT_MS / 1000} s: retry`,
    };
  }

  /** One of the account's slots for an expensive request (one that rates usage), at once or RATE_LIMITED. */
  expensiveSlot(viewer: Viewer): (() => void) | Refusal {
    const release = this.expensive.take(viewer.accountId);
    if (!release) refusals.inc({ limit: 'expensive' });
    return release ?? {
      code: 'RATE_LIMITED', status: 429, retryAfter: 1,
      message: `the account has ${EXPENSIVE_PER_ACCOUNT} expensive requests running (those that rate usage): try again when one has ended`,
    };
  }
}
