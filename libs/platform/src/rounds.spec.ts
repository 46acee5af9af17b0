import { Rounds } from './rounds.js';

const sleep = (ms: number) => new Promise((resolve) => setTimeout(resolve, ms));

/** A round's work that can be held open: how many began, and a way to end the one under way. */
function work() {
  const state = { began: 0, open: 0, most: 0, end: () => undefined as void, fail: false };
  const round = async () => {
    state.began++;
    state.most = Math.max(state.most, ++state.open);
    await new Promise<void>((resolve) => (state.end = resolve));
    state.open--;
    if (state.fail) throw new Error('storage away');
  };
  return { state, round };
}

describe('Rounds', () => {
  const lines: string[] = [];
  const logger = { log: (line: string) => void lines.push(`log ${line}`), warn: () => undefined, error: (line: string) => void lines.push(`error ${line}`), debug: () => undefined };
  beforeEach(() => (lines.length = 0));

  it('runs the first round at once where asked, then one at a time however often the timer fires', async () => {
    const { state, round } = work();
    const rounds = new Rounds(10, logger, 'the check', round);
    rounds.start({ now: true });
    expect(state.began).toBe(1);
    await sleep(60); // five ticks while the first round is held open
    expect(state).toMatchObject({ began: 1, most: 1 });
    state.end();
    await sleep(30);
    expect(state.began).toBeGreaterThan(1);
    expect(state.most).toBe(1);
    state.end();
    await rounds.stop();
  });

  it('waits for its first tick unless asked, and joins a round asked for while one runs', async () => {
    const { state, round } = work();
    const rounds = new Rounds(40, logger, 'the check', round);
    rounds.start();
    expect(state.began).toBe(0);
    const first = rounds.once();
    expect(rounds.once()).toBe(first);
    state.end();
    await first;
    expect(state.began).toBe(1);
    await rounds.stop();
  });

  it('stops after the round under way ends, and starts no other', async () => {
    const { state, round } = work();
    const rounds = new Rounds(5, logger, 'the check', round);
    rounds.start({ now: true });
    let stopped = false;
    const stopping = rounds.stop().then(() => (stopped = true));
    await sleep(20);
    expect(stopped).toBe(false);
    state.end();
    await stopping;
    await sleep(20);
    expect(state.began).toBe(1);
  });

  it('says once that its rounds fail, and once that they work again', async () => {
    const { state, round } = work();
    const rounds = new Rounds(60_000, logger, 'the check', round);
    state.fail = true;
    for (let i = 0; i < 3; i++) {
      const once = rounds.once();
      state.end();
      await once;
    }
    state.fail = false;
    const once = rounds.once();
    state.end();
    await once;
    expect(lines).toEqual(['error the check failed: storage away', expect.stringMatching(/^log the check works again, after [\d.]+ s of failures$/)]);
  });
});
