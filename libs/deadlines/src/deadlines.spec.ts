import { setTimeout as sleep } from 'node:timers/promises';
import { currentDeadline, deadlineLeft, refuseAfterDeadline, withDeadline, withDeadlineAt, withoutDeadline } from './deadlines.js';

describe('the deadline of the request being handled', () => {
  it('is none outside a request: nothing is refused', () => {
    expect(deadlineLeft()).toBeUndefined();
    expect(() => refuseAfterDeadline()).not.toThrow();
  });

  it('follows the handling through its awaits and timers, and counts down', async () => {
    await withDeadline(200, async () => {
      expect(deadlineLeft()).toBeGreaterThan(150);
      await sleep(60);
      const left = await new Promise<number | undefined>((resolve) => setImmediate(() => resolve(deadlineLeft())));
      expect(left).toBeLessThanOrEqual(145);
      expect(left).toBeGreaterThan(0);
      expect(() => refuseAfterDeadline()).not.toThrow();
    });
  });

  it('refuses to record anything once past, as UNAVAILABLE', async () => {
    await withDeadline(20, async () => {
      await sleep(30);
      expect(deadlineLeft()).toBe(0);
      expect(() => refuseAfterDeadline()).toThrow(expect.objectContaining({ code: 'UNAVAILABLE', message: expect.stringContaining('nothing of it was recorded') }));
    });
  });

  it('lets a write that records how a committed step ended go on, however late', async () => {
    await withDeadline(1, async () => {
      await sleep(10);
      withoutDeadline(() => {
        expect(deadlineLeft()).toBeUndefined();
        expect(() => refuseAfterDeadline()).not.toThrow();
      });
      expect(deadlineLeft()).toBe(0);
    });
  });

  it('runs shared work under a deadline taken from one of its requests, or none', () => {
    const at = performance.now() + 5000;
    withDeadline(100, () => {
      expect(withDeadlineAt(at, currentDeadline)).toBe(at);
      expect(withDeadlineAt(undefined, currentDeadline)).toBeUndefined();
    });
  });
});
