import { AppError } from '#libs/contracts';
import { currentDeadline, refuseAfterDeadline, withDeadlineAt } from '#libs/deadlines';

/** Work that takes a batch of like requests at once and answers each of them, in order. */
export type BatchWork<I, R> = (items: I[]) => Promise<PromiseSettledResult<R>[]>;

/**
 * Each item by `work`, one after another, each with its own outcome: what a batch refused as a
 * whole does so that each of its requests gets its own answer, without taking the pool at once.
 */
export async function eachAlone<I, R>(items: readonly I[], work: (item: I) => Promise<R>): Promise<PromiseSettledResult<R>[]> {
  const outcomes: PromiseSettledResult<R>[] = [];
  for (const item of items) outcomes.push(...(await Promise.allSettled([work(item)])));
  return outcomes;
}

interface Waiter<I, R> {
  item: I;
  resolve: (result: R) => void;
  reject: (error: unknown) => void;
  timer: NodeJS.Timeout;
  /** The deadline of the request the item is for (libs/deadlines), if it has one. */
  deadline: number | undefined;
}

interface OpenBatch<I, R> {
  work: BatchWork<I, R>;
  waiting: Waiter<I, R>[];
}

/**
 * One request at a time per account in this process, in arrival order. An account's writes
 * serialize on its database lock anyway; queueing them here first means they wait without a
 * pooled connection, so one tenant's hundred parallel calls hold one connection, not the whole
 * pool, and every other tenant is served meanwhile. A request that waits longer than `maxWaitMs`
 * fails UNAVAILABLE (safe to retry) instead of answering after its caller gave up.
 *
 * Like requests that arrive while the account's queue is busy may wait as one batch (`batch`):
 * a tenant's hundred parallel creates then cost a few transactions, not a hundred one after another
 * (compute), and an issuer's invoices finalized at once take their numbers together (billing).
 */
export class AccountQueue {
  private readonly tails = new Map<string, Promise<void>>();
  /** Per account, the batch at the end of its queue that has not started yet: a like request joins it. */
  private readonly openBatches = new Map<string, unknown>();

  constructor(
    private readonly maxWaitMs: number,
    /** The most requests one batch takes: what one transaction of them holds stays short. */
    private readonly maxBatch = 25,
  ) {}

  async run<T>(accountId: string, work: () => Promise<T>): Promise<T> {
    this.openBatches.delete(accountId); // a request queued after this one must not join a batch ahead of it
    const turn = this.enqueue(accountId);
    let timer: NodeJS.Timeout | undefined;
    try {
      const waited = await Promise.race([
        turn.ready.then(() => true),
        new Promise<false>((resolve) => (timer = setTimeout(() => resolve(false), this.maxWaitMs))),
      ]);
      if (!waited) throw this.tooBusy(accountId);
      refuseAfterDeadline(); // its wait in the queue may have used up its caller's
      return await work();
    } finally {
      clearTimeout(timer);
      turn.release();
    }
  }

  /**
   * `item`, answered by `work` together with the like requests (the same `work`) queued right
   * behind each other: the batch runs in the account's turn, as one request would. Each item still
   * waits at most `maxWaitMs` for its turn, and leaves the batch with UNAVAILABLE when it does.
   */
  batch<I, R>(accountId: string, work: BatchWork<I, R>, item: I): Promise<R> {
    const open = this.openBatches.get(accountId) as OpenBatch<I, R> | undefined;
    const joins = open !== undefined && open.work === work && open.waiting.length < this.maxBatch;
    const batch: OpenBatch<I, R> = joins ? open : { work, waiting: [] };
    const answer = new Promise<R>((resolve, reject) => {
      const waiter: Waiter<I, R> = {
        item, resolve, reject, deadline: currentDeadline(),
        timer: setTimeout(() => {
          batch.waiting.splice(batch.waiting.indexOf(waiter), 1);
          reject(this.tooBusy(accountId));
        }, this.maxWaitMs),
      };
      batch.waiting.push(waiter);
    });
    if (!joins) {
      this.openBatches.set(accountId, batch);
      void this.runBatch(accountId, batch);
    }
    return answer;
  }

  /** Accounts with requests queued or running: none once everything has answered. */
  get busyAccounts(): number {
    return this.tails.size;
  }

  private async runBatch<I, R>(accountId: string, batch: OpenBatch<I, R>): Promise<void> {
    const turn = this.enqueue(accountId);
    await turn.ready;
    if (this.openBatches.get(accountId) === batch) this.openBatches.delete(accountId);
    const waiting = batch.waiting.splice(0); // those that gave up meanwhile have left it
    waiting.forEach((waiter) => clearTimeout(waiter.timer));
    try {
      if (waiting.length === 0) return;
      // Run where the first request's handler queued it: under the earliest deadline of them all, as
      // what the batch commits is each one's answer.
      const deadlines = waiting.map((waiter) => waiter.deadline).filter((at) => at !== undefined);
      const earliest = deadlines.length > 0 ? Math.min(...deadlines) : undefined;
      const results = await withDeadlineAt(earliest, () => batch.work(waiting.map((waiter) => waiter.item)));
      waiting.forEach((waiter, i) => (results[i].status === 'fulfilled' ? waiter.resolve(results[i].value) : waiter.reject(results[i].reason)));
    } catch (error) {
      waiting.forEach((waiter) => waiter.reject(error));
    } finally {
      turn.release();
    }
  }

  /** A place at the end of the account's queue: ready once those ahead are done; release it when done. */
  private enqueue(accountId: string): { ready: Promise<void>; release: () => void } {
    const ahead = this.tails.get(accountId) ?? Promise.resolve();
    let done!: () => void;
    const tail = ahead.then(() => new Promise<void>((resolve) => (done = resolve)));
    this.tails.set(accountId, tail);
    return {
      ready: ahead,
      release: () => {
        // The next in line starts once those ahead of this one are done, whether this one ran or gave up.
        void tail.then(() => this.tails.get(accountId) === tail && this.tails.delete(accountId));
        void ahead.then(() => done());
      },
    };
  }

  private tooBusy(accountId: string): AppError {
    return AppError.unavailable(`account ${accountId} has too many requests under way: retry`);
  }
}
