import { deliveriesWithin } from './consumer.js';

describe('deliveriesWithin', () => {
  it('counts the backoffs, then one delivery per last backoff until the time has passed', () => {
    const backoff = [1000, 2000, 5000, 10_000, 30_000];
    // Three hours of a backup: 360 waits of 30 s after the first five.
    expect(deliveriesWithin(3 * 3_600_000, backoff)).toBe(5 + 360);
    expect(deliveriesWithin(1, backoff)).toBe(6);
  });
});
