import { AppError } from '#libs/contracts';
import { consoleRefusalOf } from './console-sockets.js';

describe('a console that could not be opened', () => {
  const logged: Record<string, unknown>[] = [];
  const logger = { error: (line: Record<string, unknown>) => logged.push(line) };
  beforeEach(() => logged.splice(0));

  it('closes 4409 where the instance is not there or not running', () => {
    expect(consoleRefusalOf(AppError.notFound('instance x'), logger)).toMatchObject({ code: 4409 });
    expect(consoleRefusalOf(AppError.conflict('the instance is STOPPED'), logger)).toEqual({ code: 4409, reason: 'the instance is STOPPED' });
  });

  it('closes 1013 (try again later) where a service or the database was busy or away: opening it again may work', () => {
    expect(consoleRefusalOf(new AppError('UNAVAILABLE', 'compute did not answer in time'), logger)).toEqual({ code: 1013, reason: 'compute did not answer in time' });
    const lockTimeout = Object.assign(new Error('canceling statement due to lock timeout'), { code: '55P03' });
    expect(consoleRefusalOf(lockTimeout, logger)).toEqual({ code: 1013, reason: "the gateway's database is busy or away: open the console again" });
    expect(logged).toEqual([]);
  });

  it('closes 1011 for a fault, logged under the correlation id the client is given', () => {
    const { code, reason } = consoleRefusalOf(new TypeError("Cannot read properties of undefined (reading 'hostId')"), logger);
    expect(code).toBe(1011);
    const correlationId = /^the console could not be opened \(correlation id ([0-9a-f-]{36})\)$/.exec(reason)![1];
    expect(logged).toEqual([expect.objectContaining({ correlationId, err: expect.any(TypeError) })]);
  });
});
