import { decodeCursor, encodeCursor } from './pagination.js';

describe('decodeCursor, the position a page goes on from', () => {
  it('reads back what encodeCursor wrote, and 0 for none', () => {
    expect(decodeCursor('backup', encodeCursor('backup', 3_000_000_000))).toBe(3_000_000_000);
    expect(decodeCursor('backup', undefined)).toBe(0);
  });

  it.each([
    ['another list\'s', encodeCursor('ip', 7)],
    ['a malformed', 'not a cursor'],
    ['a negative', encodeCursor('event', -1)],
    ['a fractional', encodeCursor('event', 1.5)],
    ['a larger than JavaScript counts exactly', encodeCursor('event', '9007199254740993')],
    ['a larger than its list holds', encodeCursor('event', 2 ** 31)],
  ])('refuses %s cursor as BAD_USER_INPUT naming `after`', (_what, cursor) => {
    expect(() => decodeCursor('event', cursor, 2 ** 31 - 1)).toThrow(expect.objectContaining({ code: 'BAD_USER_INPUT', field: 'after' }));
  });
});
