import { RecentReads } from './recent-reads.js';

/** A read that counts how often it ran, each answering its own number; `fail` makes the next one fail. */
function countedRead() {
  const read = Object.assign(async () => {
    read.runs += 1;
    if (read.fail) {
      read.fail = false;
      throw new Error('database away');
    }
    return read.runs;
  }, { runs: 0, fail: false });
  return read;
}

describe('RecentReads (how often /health asks the database, and DNS reads its zones)', () => {
  it('reads once for any number of callers at once, and for those within maxAgeMs after', async () => {
    let now = 0;
    const reads = new RecentReads<number>(1000, () => now);
    const read = countedRead();
    expect(await Promise.all(Array.from({ length: 100 }, () => reads.get('health', read)))).toEqual(Array(100).fill(1));
    now = 999;
    expect(await reads.get('health', read)).toBe(1);
    now = 1000;
    expect(await reads.get('health', read)).toBe(2);
    expect(read.runs).toBe(2);
  });

  it('keeps each key apart', async () => {
    const reads = new RecentReads<number>(1000, () => 0);
    const read = countedRead();
    expect([await reads.get('zone-a', read), await reads.get('zone-b', read), await reads.get('zone-a', read)]).toEqual([1, 2, 1]);
  });

  it('does not keep a read that failed: the next caller reads again', async () => {
    const reads = new RecentReads<number>(1000, () => 0);
    const read = countedRead();
    read.fail = true;
    await expect(reads.get('health', read)).rejects.toThrow('database away');
    expect(await reads.get('health', read)).toBe(2);
    expect(await reads.get('health', read)).toBe(2);
  });
});
