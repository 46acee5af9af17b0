import { held } from './lxc-freeze.js';

/** What `held` is given: a hold and a release that record their calls, the release failing its first `failures` calls. */
function holdAndRelease(failures: number) {
  const calls: string[] = [];
  let released = 0;
  return {
    calls,
    hold: async () => void calls.push('freeze'),
    release: async () => {
      calls.push('thaw');
      if (++released <= failures) throw new Error(`lxc-unfreeze: cannot thaw (try ${released})`);
    },
  };
}

describe('work done while a container is held frozen', () => {
  it("holds for the work and releases after it, the work's failure included", async () => {
    const { calls, hold, release } = holdAndRelease(0);
    expect(await held(hold, release, async () => 'copied')).toBe('copied');
    await expect(held(hold, release, () => Promise.reject(new Error('cp: no space left')))).rejects.toThrow('no space left');
    expect(calls).toEqual(['freeze', 'thaw', 'freeze', 'thaw']);
  });

  it('tries a release that failed again, a second apart, and says so when the third fails too', async () => {
    const twice = holdAndRelease(2);
    const started = Date.now();
    expect(await held(twice.hold, twice.release, async () => 'copied')).toBe('copied');
    expect(twice.calls).toEqual(['freeze', 'thaw', 'thaw', 'thaw']);
    expect(Date.now() - started).toBeGreaterThanOrEqual(1900);
    const always = holdAndRelease(9);
    await expect(held(always.hold, always.release, async () => 'copied')).rejects.toThrow('cannot thaw (try 3)');
    expect(always.calls).toEqual(['freeze', 'thaw', 'thaw', 'thaw']);
  }, 15_000);
});
