import { ConcurrencyLimiter } from './concurrency-limiter.js';

describe('ConcurrencyLimiter', () => {
  it('lets `limit` requests of a key run at once, and one more when one of them ends', () => {
    const limiter = new ConcurrencyLimiter(2);
    const first = limiter.take('a');
    const second = limiter.take('a');
    expect([first, second].every(Boolean)).toBe(true);
    expect(limiter.take('a')).toBeNull();
    first!();
    first!(); // given back once, however often it is called
    expect(limiter.take('a')).not.toBeNull();
    expect(limiter.take('a')).toBeNull();
  });

  it('keeps each key apart', () => {
    const limiter = new ConcurrencyLimiter(1);
    expect(limiter.take('a')).not.toBeNull();
    expect(limiter.take('b')).not.toBeNull();
    expect(limiter.take('a')).toBeNull();
  });
});
