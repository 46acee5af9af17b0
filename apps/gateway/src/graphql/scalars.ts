import { GraphQLError, GraphQLScalarType, Kind } from 'graphql';

const DECIMAL = /^-?\d{1,20}(\.\d{1,10})?$/;

function badValue(scalar: string, rule: string): GraphQLError {
  return new GraphQLError(`${scalar} ${rule}`, { extensions: { code: 'BAD_USER_INPUT' } });
}

/** Exact decimals travel as strings ("12.50"), so no float ever carries money. */
export const DecimalScalar = new GraphQLScalarType<string, string>({
  name: 'Decimal',
  description: 'an exact decimal number as a string, e.g. "12.50"',
  serialize: (value) => String(value),
  parseValue(value) {
    if (typeof value !== 'string' || !DECIMAL.test(value)) throw badValue('Decimal', 'must be a decimal string such as "12.50"');
    return value;
  },
  parseLiteral(ast) {
    if (ast.kind !== Kind.STRING || !DECIMAL.test(ast.value)) throw badValue('Decimal', 'must be a decimal string such as "12.50"');
    return ast.value;
  },
});

/** An instant as ISO 8601 in UTC, e.g. "2026-11-22T10:00:00.000Z". */
export const DateTimeScalar = new GraphQLScalarType<string, string>({
  name: 'DateTime',
  description: 'an instant, ISO 8601 in UTC',
  serialize: (value) => (value instanceof Date ? value.toISOString() : new Date(String(value)).toISOString()),
  parseValue(value) {
    if (typeof value !== 'string' || Number.isNaN(Date.parse(value))) throw badValue('DateTime', 'must be an ISO 8601 instant');
    return new Date(value).toISOString();
  },
  parseLiteral(ast) {
    if (ast.kind !== Kind.STRING || Number.isNaN(Date.parse(ast.value))) throw badValue('DateTime', 'must be an ISO 8601 instant');
    return new Date(ast.value).toISOString();
  },
});
