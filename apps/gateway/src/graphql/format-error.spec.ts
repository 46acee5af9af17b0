import { GraphQLError } from 'graphql';
import { AppError } from '#libs/contracts';
import { formatGraphqlError } from './format-error.js';

function format(original?: Error, extensions?: Record<string, unknown>) {
  const error = new GraphQLError(original?.message ?? 'Cannot query field "x"', { originalError: original, extensions, path: ['instance'] });
  return formatGraphqlError(error.toJSON(), error);
}

describe('GraphQL errors', () => {
  it('carry the contract code and the field of an AppError', () => {
    expect(format(AppError.badInput('input.name', 'must be an RFC 1123 label'))).toEqual({
      message: 'input.name: must be an RFC 1123 label',
      path: ['instance'],
      locations: undefined,
      extensions: { code: 'BAD_USER_INPUT', field: 'input.name' },
    });
    expect(format(AppError.unavailable('compute.instance.get did not answer within 5000 ms')).extensions).toEqual({ code: 'UNAVAILABLE' });
  });

  it('hide the details of an unexpected fault', () => {
    const formatted = format(new TypeError('cannot read properties of undefined (reading "password")'));
    expect(formatted).toMatchObject({ message: 'internal error', extensions: { code: 'INTERNAL_SERVER_ERROR' } });
    expect(JSON.stringify(formatted)).not.toContain('password');
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
