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

describe('ConcurrencyLimiter, waiting its turn', () => {
  it('hands a freed slot to the longest waiting request, and answers null to one that waited too long', async () => {
    const limiter = new ConcurrencyLimiter(1);
    const first = (await limiter.acquire('a', 50))!;
    const order: string[] = [];
    const second = limiter.acquire('a', 1000).then((release) => (order.push('second'), release));
    const third = limiter.acquire('a', 1000).then((release) => (order.push('third'), release));
    expect(limiter.take('a')).toBeNull(); // no jumping the queue
    await expect(limiter.acquire('a', 10)).resolves.toBeNull();
    first();
    (await second)!();
    (await third)!();
    expect(order).toEqual(['second', 'third']);
    expect(limiter.take('a')).not.toBeNull(); // every slot given back
  });
});
