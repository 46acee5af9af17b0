import { RateLimiter } from './rate-limiter.js';

describe('RateLimiter', () => {
  it('lets a burst through, refuses the next request, and refills at the set rate', () => {
    let now = 0;
    const limiter = new RateLimiter(10, 3, () => now);
    expect([1, 2, 3, 4].map(() => limiter.take('k'))).toEqual([true, true, true, false]);
    expect(limiter.retryAfter('k')).toBe(1);
    now += 100; // a tenth of a second: one token at 10/s
    expect(limiter.take('k')).toBe(true);
    expect(limiter.take('k')).toBe(false);
  });

  it('keeps one bucket per key', () => {
    const limiter = new RateLimiter(1, 1, () => 0);
    expect(limiter.take('a')).toBe(true);
    expect(limiter.take('a')).toBe(false);
    expect(limiter.take('b')).toBe(true);
  });

  it('takes back a token given back, never past the burst', () => {
    const limiter = new RateLimiter(1, 2, () => 0);
    expect([limiter.take('k'), limiter.take('k'), limiter.take('k')]).toEqual([true, true, false]);
    limiter.giveBack('k');
    expect([limiter.take('k'), limiter.take('k')]).toEqual([true, false]);
    limiter.giveBack('k');
    limiter.giveBack('k');
    limiter.giveBack('k');
    expect([limiter.take('k'), limiter.take('k'), limiter.take('k')]).toEqual([true, true, false]);
  });
});
