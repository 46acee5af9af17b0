/**
 * At most `limit` requests at once per key (an account), per gateway replica: a slot is taken
 * before a request runs and given back when it ends. Nothing waits for a slot: without one, the
 * caller is told to come back.
 */
export class ConcurrencyLimiter {
  private readonly running = new Map<string, number>();

  constructor(readonly limit: number) {}

  /** A slot for `key`, as the function that gives it back (once, however often it is called); null when all are taken. */
  take(key: string): (() => void) | null {
    const count = this.running.get(key) ?? 0;
    if (count >= this.limit) return null;
    this.running.set(key, count + 1);
    let given = false;
    return () => {
      if (given) return;
      given = true;
      const left = this.running.get(key)! - 1;
      if (left === 0) this.running.delete(key);
      else this.running.set(key, left);
    };
  }
}
