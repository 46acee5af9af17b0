/**
 * Values read at most once per `maxAgeMs` for each key: callers meanwhile share the last read, or
 * the one under way. A read that failed is not kept, so the next caller reads again.
 */
export class RecentReads<T> {
  private readonly reads = new Map<string, { at: number; value: Promise<T> }>();

  constructor(
    private readonly maxAgeMs: number,
    private readonly now: () => number = Date.now,
  ) {}

  get(key: string, read: () => Promise<T>): Promise<T> {
    const kept = this.reads.get(key);
    if (kept && this.now() - kept.at < this.maxAgeMs) return kept.value;
    const value = read();
    this.reads.set(key, { at: this.now(), value });
    value.catch(() => {
      if (this.reads.get(key)?.value === value) this.reads.delete(key);
    });
    return value;
  }
}
