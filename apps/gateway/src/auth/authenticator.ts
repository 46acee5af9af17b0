import type { Identity, Viewer } from '../identity/identity.js';
import { hashSecret } from '../identity/identity.js';

const MAX_CACHED = 10_000;

/**
 * Bearer secrets to viewers. A verified key is cached for `cacheMs` (a revoked key stops working
 * on the replica that revoked it at once, on the others within that time); lastUsedAt is written
 * at most once per `touchEveryMs` per key, off the request's path.
 */
export class Authenticator {
  private readonly cache = new Map<string, { viewer: Viewer | null; until: number }>();
  private readonly touched = new Map<string, number>();

  constructor(
    private readonly identity: Identity,
    private readonly options: { cacheMs: number; touchEveryMs: number; onTouchError: (error: Error) => void },
  ) {}

  /** undefined without credentials; null for an unknown or revoked key, or a header that is not a Bearer secret. */
  async viewerOf(authorization: string | undefined): Promise<Viewer | null | undefined> {
    if (!authorization) return undefined;
    const match = /^Bearer ([\x21-\x7e]{1,256})$/.exec(authorization.trim());
    if (!match) return null;
    const hash = hashSecret(match[1]);
    const now = Date.now();
    let entry = this.cache.get(hash);
    if (!entry || entry.until < now) {
      entry = { viewer: await this.identity.authenticate(match[1]), until: now + this.options.cacheMs };
      this.cache.delete(hash);
      this.cache.set(hash, entry);
      if (this.cache.size > MAX_CACHED) this.cache.delete(this.cache.keys().next().value!);
    }
    if (entry.viewer) this.touch(entry.viewer.apiKeyId, now);
    return entry.viewer;
  }

  /** After a change to keys or to an account's customers: this replica looks every key up again. */
  forget(): void {
    this.cache.clear();
  }

  private touch(apiKeyId: string, now: number): void {
    if ((this.touched.get(apiKeyId) ?? 0) + this.options.touchEveryMs > now) return;
    this.touched.set(apiKeyId, now);
    if (this.touched.size > MAX_CACHED) this.touched.delete(this.touched.keys().next().value!);
    this.identity.touch([apiKeyId]).catch(this.options.onTouchError);
  }
}
