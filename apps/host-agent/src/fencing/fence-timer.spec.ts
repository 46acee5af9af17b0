import { FenceTimer } from './fence-timer.js';

describe('the fence timer', () => {
  it('fences once the control plane has been away longer than the timeout, and only once', () => {
    const timer = new FenceTimer(6000, 0);
    expect(timer.due(6000)).toBe(false);
    expect(timer.due(6001)).toBe(true);
    expect(timer.fenced).toBe(true);
    expect(timer.due(9000)).toBe(false);
  });

  it('starts over at each contact, and fences again after a new loss', () => {
    const timer = new FenceTimer(6000, 0);
    timer.contact(5000);
    expect(timer.due(10_000)).toBe(false);
    expect(timer.due(11_001)).toBe(true);
    timer.contact(12_000);
    expect(timer.due(18_000)).toBe(false);
    expect(timer.due(18_001)).toBe(true);
  });
});
