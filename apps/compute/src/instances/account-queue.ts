import { AppError } from '#libs/contracts';

/**
 * One request at a time per account in this process, in arrival order. An account's writes
 * serialize on its database lock anyway; queueing them here first means they wait without a
 * pooled connection, so one tenant's hundred parallel calls hold one connection, not the whole
 * pool, and every other tenant is served meanwhile. A request that waits longer than `maxWaitMs`
 * fails UNAVAILABLE (safe to retry) instead of answering after its caller gave up.
 */
export class AccountQueue {
  private readonly tails = new Map<string, Promise<void>>();

  constructor(private readonly maxWaitMs: number) {}

  async run<T>(accountId: string, work: () => Promise<T>): Promise<T> {
    const ahead = this.tails.get(accountId) ?? Promise.resolve();
    let done!: () => void;
    const tail = ahead.then(() => new Promise<void>((resolve) => (done = resolve)));
    this.tails.set(accountId, tail);
    let timer: NodeJS.Timeout | undefined;
    try {
      const waited = await Promise.race([
        ahead.then(() => true),
        new Promise<false>((resolve) => (timer = setTimeout(() => resolve(false), this.maxWaitMs))),
      ]);
      if (!waited) throw AppError.unavailable(`account ${accountId} has too many requests under way: retry`);
      return await work();
    } finally {
      clearTimeout(timer);
      // The next in line starts once those ahead of this one are done, whether this one ran or gave up.
      void tail.then(() => this.tails.get(accountId) === tail && this.tails.delete(accountId));
      void ahead.then(() => done());
    }
  }

  /** Accounts with requests queued or running: none once everything has answered. */
  get busyAccounts(): number {
    return this.tails.size;
  }
}
