/**
 * Token buckets, one per key (an API key's requests, a source address's DNS queries): `perSecond`
 * a second on average, bursts up to `burst`. Per process: N replicas let a key make N times as many.
 * The 100,000 keys used last are kept, so that no flood of new keys grows it without end.
 */
export class RateLimiter {
  private readonly buckets = new Map<string, { tokens: number; at: number }>();

  constructor(
    private readonly perSecond: number,
    private readonly burst: number,
    private readonly now: () => number = Date.now,
  ) {}

  /** Takes one token for `key`; false when its bucket is empty. */
  take(key: string): boolean {
    const now = this.now();
    const bucket = this.buckets.get(key) ?? { tokens: this.burst, at: now };
    bucket.tokens = Math.min(this.burst, bucket.tokens + ((now - bucket.at) / 1000) * this.perSecond);
    bucket.at = now;
    // Re-inserted, so the map's first entries are the keys idle longest.
    this.buckets.delete(key);
    this.buckets.set(key, bucket);
    if (this.buckets.size > 100_000) this.buckets.delete(this.buckets.keys().next().value!);
    if (bucket.tokens < 1) return false;
    bucket.tokens -= 1;
    return true;
  }

  /** Gives back a token `take` took for `key`, the work it paid for having cost nothing. */
  giveBack(key: string): void {
    const bucket = this.buckets.get(key);
    if (bucket) bucket.tokens = Math.min(this.burst, bucket.tokens + 1);
  }

  /** Seconds until `key` has a token again. */
  retryAfter(key: string): number {
    const tokens = this.buckets.get(key)?.tokens ?? this.burst;
    return Math.max(1, Math.ceil((1 - tokens) / this.perSecond));
  }
}
