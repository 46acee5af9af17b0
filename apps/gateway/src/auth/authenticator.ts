import type { Identity, Viewer } from '../identity/identity.js';
import { hashSecret } from '../identity/identity.js';
import type { RequestLimits } from './request-limits.js';

const MAX_CACHED = 10_000;

type Cached<T> = Map<string, { value: T; until: number }>;

/** `value` under `key` until `until`, in a map of the MAX_CACHED used last. */
function keep<T>(cache: Cached<T>, key: string, value: T, until: number): void {
  cache.delete(key);
  cache.set(key, { value, until });
  if (cache.size > MAX_CACHED) cache.delete(cache.keys().next().value!);
}

/**
 * Bearer secrets to viewers. A verified key is cached for `cacheMs` (a revoked key stops working
 * on the replica that revoked it at once, on the others within that time); lastUsedAt is written
 * at most once per `touchEveryMs` per key, off the request's path. Unknown secrets are remembered
 * apart, so a flood of made-up ones never pushes a real key out, and each new one is looked up
 * only within its caller address's allowance (RequestLimits.credentialLookup).
 */
export class Authenticator {
  private readonly known: Cached<Viewer> = new Map();
  private readonly unknown: Cached<null> = new Map();
  private readonly touched = new Map<string, number>();

  constructor(
    private readonly identity: Identity,
    private readonly limits: Pick<RequestLimits, 'credentialLookup'>,
    private readonly options: { cacheMs: number; touchEveryMs: number; onTouchError: (error: Error) => void },
  ) {}

  /**
   * undefined without credentials; null for an unknown or revoked key, or a header that is not a
   * Bearer secret. `address` is the caller's, whose allowance a lookup is paid from.
   */
  async viewerOf(authorization: string | undefined, address: string | undefined): Promise<Viewer | null | undefined> {
    if (!authorization) return undefined;
    const match = /^Bearer ([\x21-\x7e]{1,256})$/.exec(authorization.trim());
    if (!match) return null;
    const hash = hashSecret(match[1]);
    const now = Date.now();
    const cached = this.known.get(hash) ?? this.unknown.get(hash);
    let viewer = cached && cached.until >= now ? cached.value : undefined;
    if (viewer === undefined) {
      viewer = await this.limits.credentialLookup(address, `key:${hash}`, () => this.identity.authenticate(match[1]));
      this.known.delete(hash);
      this.unknown.delete(hash);
      if (viewer) keep(this.known, hash, viewer, now + this.options.cacheMs);
      else keep(this.unknown, hash, null, now + this.options.cacheMs);
    }
    if (viewer) this.touch(viewer.apiKeyId, now);
    return viewer;
  }

  /** After a change to keys or to an account's customers: this replica looks every key up again. */
  forget(): void {
    this.known.clear();
    this.unknown.clear();
  }

  private touch(apiKeyId: string, now: number): void {
    if ((this.touched.get(apiKeyId) ?? 0) + this.options.touchEveryMs > now) return;
    this.touched.set(apiKeyId, now);
    if (this.touched.size > MAX_CACHED) this.touched.delete(this.touched.keys().next().value!);
    this.identity.touch([apiKeyId]).catch(this.options.onTouchError);
  }
}
