/**
 * At most `limit` at once per key, in this process (an account's requests, a key's sockets, an
 * instance's console sessions): a slot is taken before the work begins and given back when it ends.
 * `take` answers at once; `acquire` waits its turn, first come first served, for at most a while.
 */
export class ConcurrencyLimiter {
  private readonly running = new Map<string, number>();
  private readonly waiting = new Map<string, ((release: () => void) => void)[]>();

  constructor(readonly limit: number) {}

  /** A slot for `key`, as the function that gives it back (once, however often it is called); null when all are taken. */
  take(key: string): (() => void) | null {
    const count = this.running.get(key) ?? 0;
    if (count >= this.limit || this.waiting.has(key)) return null;
    this.running.set(key, count + 1);
    return this.slot(key);
  }

  /** A slot for `key` as soon as one is free; null when none was within `maxWaitMs`. */
  acquire(key: string, maxWaitMs: number): Promise<(() => void) | null> {
    const now = this.take(key);
    if (now) return Promise.resolve(now);
    return new Promise((resolve) => {
      const queue = this.waiting.get(key) ?? [];
      const grant = (release: () => void) => {
        clearTimeout(timer);
        resolve(release);
      };
      const timer = setTimeout(() => {
        queue.splice(queue.indexOf(grant), 1);
        if (queue.length === 0) this.waiting.delete(key);
        resolve(null);
      }, maxWaitMs);
      queue.push(grant);
      this.waiting.set(key, queue);
    });
  }

  /** Gives the slot to the longest waiting request, or back to the key's free ones. */
  private slot(key: string): () => void {
    let given = false;
    return () => {
      if (given) return;
      given = true;
      const queue = this.waiting.get(key);
      const next = queue?.shift();
      if (queue?.length === 0) this.waiting.delete(key);
      if (next) return next(this.slot(key));
      const left = this.running.get(key)! - 1;
      if (left === 0) this.running.delete(key);
      else this.running.set(key, left);
    };
  }
}
