import { deliveriesWithin, EventConsumer, RETRIED_FOR_MS, type ConsumerOptions } from './consumer.js';

describe('deliveriesWithin', () => {
  it('counts the backoffs, then one delivery per last backoff until the time has passed', () => {
    const backoff = [1000, 2000, 5000, 10_000, 30_000];
    // Three hours of a backup: 360 waits of 30 s after the first five.
    expect(deliveriesWithin(3 * 3_600_000, backoff)).toBe(5 + 360);
    expect(deliveriesWithin(1, backoff)).toBe(6);
  });
});

describe('an EventConsumer left to its defaults', () => {
  it('retries a failing event for half an hour before it is dead-lettered: a database failover of minutes loses nothing', () => {
    const consumer = new EventConsumer({ name: 'c', source: 's', service: 's', schema: 's', handle: async () => undefined } as unknown as ConsumerOptions);
    // Waits of 1, 5, 15 and 60 s, then 60 s each: the last delivery comes past the half hour.
    expect(consumer.maxDeliver).toBe(4 + 30);
    expect(1 + 5 + 15 + 60 * (consumer.maxDeliver - 4)).toBeGreaterThanOrEqual(RETRIED_FOR_MS / 1000);
  });
});
