import { answersInOrder } from './invoice-documents.js';

/** An answer the test settles by hand, and the batches asked so far. */
function asker() {
  const asked: number[] = [];
  const answers = new Map<number, { resolve: (value: string) => void; reject: (error: Error) => void }>();
  const ask = (batch: number) => {
    asked.push(batch);
    return new Promise<string>((resolve, reject) => answers.set(batch, { resolve, reject }));
  };
  return { asked, ask, answer: (batch: number) => answers.get(batch)! };
}

const settled = () => new Promise((resolve) => setImmediate(resolve));

describe("a month's CSV asked a batch at a time", () => {
  it('gives the answers in the batches\' order, asking the next batch while the one before is sent, and no further', async () => {
    const { asked, ask, answer } = asker();
    const rows = answersInOrder([1, 2, 3], ask);
    const first = rows.next();
    await settled();
    expect(asked).toEqual([1, 2]);
    answer(2).resolve('second');
    answer(1).resolve('first');
    expect(await first).toEqual({ value: 'first', done: false });
    expect(asked).toEqual([1, 2]);
    const second = rows.next();
    await settled();
    expect(asked).toEqual([1, 2, 3]);
    expect(await second).toEqual({ value: 'second', done: false });
    answer(3).resolve('third');
    expect(await rows.next()).toEqual({ value: 'third', done: false });
    expect(await rows.next()).toEqual({ value: undefined, done: true });
  });

  it('stops asking once the client goes away, and a failure nobody waits for is not an unhandled one', async () => {
    const unhandled: unknown[] = [];
    const onUnhandled = (reason: unknown) => unhandled.push(reason);
    process.on('unhandledRejection', onUnhandled);
    try {
      const { asked, ask, answer } = asker();
      const rows = answersInOrder([1, 2, 3], ask);
      const first = rows.next();
      await settled();
      answer(1).resolve('first');
      await first;
      await rows.return(undefined);
      answer(2).reject(new Error('billing went away'));
      await settled();
      expect(asked).toEqual([1, 2]);
      expect(unhandled).toEqual([]);
    } finally {
      process.off('unhandledRejection', onUnhandled);
    }
  });

  it('passes on the failure of the batch being sent', async () => {
    const { ask, answer } = asker();
    const rows = answersInOrder([1, 2], ask);
    const first = rows.next();
    await settled();
    answer(1).reject(new Error('UNAVAILABLE'));
    await expect(first).rejects.toThrow('UNAVAILABLE');
  });
});
