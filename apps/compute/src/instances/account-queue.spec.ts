import { AccountQueue } from './account-queue.js';

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
});
