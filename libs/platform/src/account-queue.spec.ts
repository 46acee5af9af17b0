import { currentDeadline, withDeadline } from '#libs/deadlines';
import { AccountQueue, eachAlone } from './account-queue.js';

const later = (ms: number) => new Promise((resolve) => setTimeout(resolve, ms));

describe('AccountQueue', () => {
  it("runs one account's requests one at a time, in arrival order, and other accounts' meanwhile", async () => {
    const queue = new AccountQueue(1000);
    const log: string[] = [];
    const work = (name: string, ms: number) => async () => {
      log.push(`${name} starts`);
      await later(ms);
      log.push(`${name} ends`);
      return name;
    };
    const results = await Promise.all([
      queue.run('a', work('a1', 30)),
      queue.run('a', work('a2', 1)),
      queue.run('b', work('b1', 1)),
    ]);
    expect(results).toEqual(['a1', 'a2', 'b1']);
    expect(log).toEqual(['a1 starts', 'b1 starts', 'b1 ends', 'a1 ends', 'a2 starts', 'a2 ends']);
    await later(1);
    expect(queue.busyAccounts).toBe(0);
  });

  it('answers UNAVAILABLE, without running it, to a request whose caller stopped waiting while it was queued', async () => {
    const queue = new AccountQueue(1000);
    const slow = queue.run('a', () => later(50));
    let ran = false;
    const queued = withDeadline(20, () => queue.run('a', async () => (ran = true)));
    await expect(queued).rejects.toMatchObject({ code: 'UNAVAILABLE' });
    await slow;
    expect(ran).toBe(false);
  });

  it('goes on after a request that failed', async () => {
    const queue = new AccountQueue(1000);
    const failed = queue.run('a', async () => {
      throw new Error('refused');
    });
    await expect(failed).rejects.toThrow('refused');
    await expect(queue.run('a', async () => 'next')).resolves.toBe('next');
  });

  it('answers UNAVAILABLE to a request that waited too long, without letting the next one jump the slow one', async () => {
    const queue = new AccountQueue(20);
    const log: string[] = [];
    const slow = queue.run('a', async () => {
      await later(80);
      log.push('slow ends');
    });
    const impatient = queue.run('a', async () => log.push('impatient ran'));
    await expect(impatient).rejects.toMatchObject({ code: 'UNAVAILABLE', message: 'account a has too many requests under way: retry' });
    const next = queue.run('a', async () => log.push('next ran'));
    await slow;
    await expect(next).rejects.toMatchObject({ code: 'UNAVAILABLE' }); // it too waited 20 ms behind the slow one
    await queue.run('a', async () => log.push('last ran'));
    expect(log).toEqual(['slow ends', 'last ran']);
    await later(1);
    expect(queue.busyAccounts).toBe(0);
  });

  describe('batches', () => {
    /** Work that answers each item with its double, or refuses odd ones, and logs each batch it was given. */
    const batches: number[][] = [];
    const double = async (items: number[]): Promise<PromiseSettledResult<number>[]> => {
      batches.push(items);
      await later(5);
      return items.map((n) => (n % 2 === 0 ? { status: 'fulfilled', value: n * 2 } : { status: 'rejected', reason: new Error(`odd ${n}`) }));
    };
    beforeEach(() => batches.splice(0));

    it('runs a batch at once when nothing is ahead, and those that queued behind it together, each answered with its own result', async () => {
      const queue = new AccountQueue(1000);
      const first = queue.batch('a', double, 2);
      await later(1); // it has started
      const behind = [4, 5, 6].map((n) => queue.batch('a', double, n));
      await expect(first).resolves.toBe(4);
      await expect(behind[0]).resolves.toBe(8);
      await expect(behind[1]).rejects.toThrow('odd 5');
      await expect(behind[2]).resolves.toBe(12);
      expect(batches).toEqual([[2], [4, 5, 6]]);
      await later(1);
      expect(queue.busyAccounts).toBe(0);
    });

    it('keeps arrival order with other requests: one queued after a batch waits for it, and a request after that starts a new batch', async () => {
      const queue = new AccountQueue(1000);
      const log: string[] = [];
      const batched = [queue.batch('a', double, 2), queue.batch('a', double, 4)];
      const other = queue.run('a', async () => log.push(`run after ${batches.length} batch`));
      const after = queue.batch('a', double, 6);
      await Promise.all([...batched, other, after]);
      expect(batches).toEqual([[2, 4], [6]]);
      expect(log).toEqual(['run after 1 batch']);
    });

    it('takes at most maxBatch requests into one batch', async () => {
      const queue = new AccountQueue(1000, 2);
      await Promise.all([0, 2, 4, 6, 8].map((n) => queue.batch('a', double, n)));
      expect(batches).toEqual([[0, 2], [4, 6], [8]]);
    });

    it('answers UNAVAILABLE to a request that waited too long, and leaves it out of its batch', async () => {
      const queue = new AccountQueue(20);
      const slow = queue.run('a', () => later(80));
      const impatient = queue.batch('a', double, 2);
      await expect(impatient).rejects.toMatchObject({ code: 'UNAVAILABLE' });
      const patient = queue.batch('a', double, 4);
      await slow;
      await expect(patient).rejects.toMatchObject({ code: 'UNAVAILABLE' }); // it too waited 20 ms behind the slow one
      await expect(queue.batch('a', double, 6)).resolves.toBe(12);
      expect(batches).toEqual([[6]]);
    });

    it('runs a batch under the earliest deadline of its requests, where the first one queued has none', async () => {
      const queue = new AccountQueue(1000);
      const deadlines: (number | undefined)[] = [];
      const noting = async (items: number[]): Promise<PromiseSettledResult<number>[]> => {
        deadlines.push(currentDeadline());
        return double(items);
      };
      const first = queue.batch('a', noting, 2); // a job's, with no deadline
      await later(1);
      const late = withDeadline(5000, () => queue.batch('a', noting, 4));
      const soon = withDeadline(500, () => ({ answer: queue.batch('a', noting, 6), at: currentDeadline()! }));
      await Promise.all([first, late, soon.answer]);
      expect(deadlines).toEqual([undefined, soon.at]);
    });

    it('answers every request of a batch whose work failed as a whole with its error', async () => {
      const queue = new AccountQueue(1000);
      const broken = async (): Promise<PromiseSettledResult<number>[]> => {
        throw new Error('database gone');
      };
      const answers = [queue.batch('a', broken, 1), queue.batch('a', broken, 2)];
      await expect(answers[0]).rejects.toThrow('database gone');
      await expect(answers[1]).rejects.toThrow('database gone');
      await expect(queue.batch('a', double, 2)).resolves.toBe(4);
    });
  });

  describe('eachAlone', () => {
    it('runs each item after the one before has settled, and gives each its own outcome', async () => {
      const log: string[] = [];
      const outcomes = await eachAlone([1, 2, 3], async (n) => {
        log.push(`${n} starts`);
        await later(5);
        log.push(`${n} ends`);
        if (n === 2) throw new Error('refused');
        return n * 10;
      });
      expect(log).toEqual(['1 starts', '1 ends', '2 starts', '2 ends', '3 starts', '3 ends']);
      expect(outcomes).toEqual([{ status: 'fulfilled', value: 10 }, { status: 'rejected', reason: new Error('refused') }, { status: 'fulfilled', value: 30 }]);
    });
  });
});
