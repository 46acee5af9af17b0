import { iso } from './calendar.js';

describe('iso', () => {
  it('writes a second as Date.toISOString does, across days, months, leap days and before 1970', () => {
    const seconds = [
      0, 59, 3599, 86_399, 86_400, -1, -86_401,
      Date.UTC(2026, 8, 1) / 1000, Date.UTC(2026, 8, 30, 23, 59, 59) / 1000, Date.UTC(2028, 1, 29, 12, 0, 7) / 1000, Date.UTC(2099, 11, 31, 23, 59, 59) / 1000,
    ];
    for (let second = Date.UTC(2026, 0, 1) / 1000; second < Date.UTC(2027, 0, 1) / 1000; second += 7919) seconds.push(second);
    for (const second of seconds) expect(iso(second)).toBe(new Date(second * 1000).toISOString());
  });

  it('keeps the fraction of a second it is given', () => {
    expect(iso(1_788_220_800.25)).toBe('2026-09-01T00:00:00.250Z');
  });
});
