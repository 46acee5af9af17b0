import { headers as natsHeaders } from '@nats-io/transport-node';
import { DEADLINE_HEADER, deadlineOfHeaders, deadlineToSend } from './request-deadlines.js';

describe('the deadline a request carries', () => {
  it.each([
    [5000, 4000], // the reply's margin kept back
    [30_000, 29_000],
    [1200, 600], // at most half of a short wait
    [1, 1],
  ])('is, for a caller waiting %i ms, %i ms', (waitMs, sent) => {
    expect(deadlineToSend(waitMs)).toBe(sent);
  });

  it.each([
    ['4000', 4000],
    ['0', 0],
    ['-5', undefined],
    ['4e3', undefined],
    ['99999999999', undefined],
    ['', undefined],
  ])('reads %j from the header as %p', (value, ms) => {
    const headers = natsHeaders();
    headers.set(DEADLINE_HEADER, value);
    expect(deadlineOfHeaders(headers)).toBe(ms);
  });

  it('reads none from a request without headers (sent by hand)', () => {
    expect(deadlineOfHeaders(undefined)).toBeUndefined();
  });
});
