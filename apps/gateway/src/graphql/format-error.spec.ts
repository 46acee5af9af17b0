import { Logger } from '@nestjs/common';
import { GraphQLError } from 'graphql';
import { AppError } from '#libs/contracts';
import { formatGraphqlError, RequestFault } from './format-error.js';

function format(original?: Error, extensions?: Record<string, unknown>) {
  const error = new GraphQLError(original?.message ?? 'Cannot query field "x"', { originalError: original, extensions, path: ['instance'] });
  return formatGraphqlError(error.toJSON(), error);
}

describe('GraphQL errors', () => {
  const logged: { level: string; line: Record<string, unknown> }[] = [];
  beforeAll(() => Logger.overrideLogger(Object.fromEntries(['log', 'error', 'warn', 'debug'].map((level) => [level, (line: Record<string, unknown>) => logged.push({ level, line })])) as never));
  afterAll(() => Logger.overrideLogger(false));
  beforeEach(() => (logged.length = 0));

  it('carry the contract code and the field of an AppError', () => {
    expect(format(AppError.badInput('input.name', 'must be an RFC 1123 label'))).toEqual({
      message: 'input.name: must be an RFC 1123 label',
      path: ['instance'],
      locations: undefined,
      extensions: { code: 'BAD_USER_INPUT', field: 'input.name' },
    });
    expect(format(AppError.unavailable('compute.instance.get did not answer within 5000 ms')).extensions).toEqual({ code: 'UNAVAILABLE' });
    // The caller's answer, not the gateway's fault: at debug, without a stack.
    expect(logged.map((l) => [l.level, l.line.code, 'err' in l.line])).toEqual([['debug', 'BAD_USER_INPUT', false], ['debug', 'UNAVAILABLE', false]]);
  });

  it('hide the details of an unexpected fault, but name the correlation id it is logged under', () => {
    const formatted = format(new TypeError('cannot read properties of undefined (reading "password")'));
    expect(formatted).toMatchObject({ message: 'internal error', extensions: { code: 'INTERNAL_SERVER_ERROR', correlationId: expect.stringMatching(/^[0-9a-f-]{36}$/) } });
    expect(JSON.stringify(formatted)).not.toContain('password');
  });

  it("name a resolver's fault by its request's correlation id, under which it is logged with its stack", () => {
    const formatted = format(new RequestFault('request-1', new TypeError('x is undefined')));
    expect(formatted).toMatchObject({ message: 'internal error', extensions: { code: 'INTERNAL_SERVER_ERROR', correlationId: 'request-1' } });
    expect(logged).toEqual([{ level: 'error', line: expect.objectContaining({ correlationId: 'request-1', err: expect.objectContaining({ stack: expect.stringContaining('TypeError: x is undefined') }) }) }]);
    expect(format(new RequestFault('request-2', AppError.fromWire({ code: 'INTERNAL', message: 'internal error' }))).extensions).toEqual({
      code: 'INTERNAL_SERVER_ERROR', correlationId: 'request-2',
    });
  });

  it("say UNAVAILABLE (safe to retry) for the gateway's database busy or away", () => {
    const refused = Object.assign(new Error('connect ECONNREFUSED 127.0.0.1:5432'), { code: 'ECONNREFUSED' });
    expect(format(refused)).toMatchObject({ message: "the gateway's database is busy or away: retry", extensions: { code: 'UNAVAILABLE' } });
    expect(format(new RequestFault('request-3', refused)).extensions).toEqual({ code: 'UNAVAILABLE' });
  });

  it('leave GraphQL’s own validation errors as they are', () => {
    const formatted = format(undefined, { code: 'GRAPHQL_VALIDATION_FAILED' });
    expect(formatted).toMatchObject({ message: 'Cannot query field "x"', extensions: { code: 'GRAPHQL_VALIDATION_FAILED' } });
  });

  it("carry a scalar's own code where it refuses a literal", () => {
    const formatted = format(new GraphQLError('Decimal must be a decimal string', { extensions: { code: 'BAD_USER_INPUT' } }), { code: 'GRAPHQL_VALIDATION_FAILED' });
    expect(formatted).toMatchObject({ message: 'Decimal must be a decimal string', extensions: { code: 'BAD_USER_INPUT' } });
  });
});
