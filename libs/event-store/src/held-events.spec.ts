import { HeldEvents, type HeldMessage } from './held-events.js';

/** A message that counts how it was given back and kept alive. */
function message(): HeldMessage & { naks: number; kept: number } {
  return {
    naks: 0,
    kept: 0,
    nak() {
      this.naks++;
    },
    working() {
      this.kept++;
    },
  };
}

/** Work that runs until `finish()`, recording when it begins. */
function work(log: string[], name: string) {
  let finish!: () => void;
  const finished = new Promise<void>((resolve) => (finish = resolve));
  return { run: () => (log.push(name), finished), finish: () => finish() };
}

const turn = () => new Promise((resolve) => setImmediate(resolve));

describe('the events one replica holds', () => {
  it('runs at most its concurrency at once, and the events of one stream one after another', async () => {
    const held = new HeldEvents(2, () => undefined);
    const log: string[] = [];
    const a1 = work(log, 'a1');
    const a2 = work(log, 'a2');
    const b1 = work(log, 'b1');
    const c1 = work(log, 'c1');
    held.take(message(), 'a', a1.run);
    held.take(message(), 'a', a2.run);
    held.take(message(), 'b', b1.run);
    held.take(message(), 'c', c1.run);
    await turn();
    expect(log).toEqual(['a1', 'b1']);

    a1.finish();
    await turn();
    // c1 was ready first; a2 only became ready when a1 ended.
    expect(log).toEqual(['a1', 'b1', 'c1']);
    b1.finish();
    await turn();
    expect(log).toEqual(['a1', 'b1', 'c1', 'a2']);
  });

  it('has room for twice its concurrency, and asks for more once half of that is free', async () => {
    const held = new HeldEvents(2, () => undefined);
    const jobs = ['a', 'b', 'c', 'd'].map((stream) => ({ stream, ...work([], stream) }));
    expect(held.room).toBe(4);
    for (const job of jobs) held.take(message(), job.stream, job.run);
    expect(held.room).toBe(0);

    let asked = false;
    void held.roomToTake().then(() => (asked = true));
    jobs[0].finish();
    await turn();
    expect(asked).toBe(false); // 3 held: more than half
    jobs[1].finish();
    await turn();
    expect(asked).toBe(true);
    expect(held.room).toBe(2);
  });

  it("takes no room for a stream's later events, which wait for its first wherever they are", async () => {
    const held = new HeldEvents(1, () => undefined);
    const slow = work([], 'a1');
    held.take(message(), 'a', slow.run);
    for (let i = 2; i <= 5; i++) held.take(message(), 'a', work([], `a${i}`).run);
    expect(held.room).toBe(1); // one stream held of the two it has room for
    await held.roomToTake(); // resolves at once: the slow stream holds back no other

    held.take(message(), 'b', work([], 'b1').run);
    expect(held.room).toBe(0);
  });

  it('keeps alive everything it holds, whether it runs or waits its turn', async () => {
    const held = new HeldEvents(1, () => undefined);
    const running = message();
    const waiting = message();
    held.take(running, 'a', work([], 'a').run);
    held.take(waiting, 'b', work([], 'b').run);
    await turn();
    held.keepAlive();
    expect([running.kept, waiting.kept]).toEqual([1, 1]);
  });

  it('gives back at once, on stopping, what waits for a slot, and what follows a running event when it ends', async () => {
    const held = new HeldEvents(1, () => undefined);
    const log: string[] = [];
    const a1 = work(log, 'a1');
    const msgs = { a1: message(), a2: message(), b1: message(), b2: message() };
    held.take(msgs.a1, 'a', a1.run);
    held.take(msgs.a2, 'a', work(log, 'a2').run);
    held.take(msgs.b1, 'b', work(log, 'b1').run);
    held.take(msgs.b2, 'b', work(log, 'b2').run);
    await turn();

    let stopped = false;
    void held.stop().then(() => (stopped = true));
    await turn();
    // b1 waited for a slot, and b2 for b1: both go back now. a2 waits for a1, which still runs.
    expect([msgs.b1.naks, msgs.b2.naks, msgs.a2.naks]).toEqual([1, 1, 0]);
    expect(stopped).toBe(false);

    a1.finish();
    await turn();
    expect([msgs.a1.naks, msgs.a2.naks]).toEqual([0, 1]);
    expect(log).toEqual(['a1']);
    expect(stopped).toBe(true);
    expect(held.room).toBe(2);
  });

  it('reports work that failed and goes on with the stream', async () => {
    const errors: string[] = [];
    const held = new HeldEvents(1, (error) => errors.push(error.message));
    const log: string[] = [];
    held.take(message(), 'a', () => Promise.reject(new Error('no database')));
    held.take(message(), 'a', async () => void log.push('a2'));
    await turn();
    await turn();
    expect(errors).toEqual(['no database']);
    expect(log).toEqual(['a2']);
  });
});
