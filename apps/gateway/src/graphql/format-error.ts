import { GraphQLError, type GraphQLFormattedError } from 'graphql';
import { AppError } from '#libs/contracts';

/**
 * Every error leaves with a contract code in extensions.code (api/contract.graphql). Faults
 * the caller cannot act on leave as INTERNAL_SERVER_ERROR without their details.
 */
export function formatGraphqlError(formatted: GraphQLFormattedError, error: unknown): GraphQLFormattedError {
  const original = (error as { originalError?: unknown })?.originalError;
  if (original instanceof AppError && original.code !== 'INTERNAL') {
    const extensions: Record<string, unknown> = { code: original.code };
    if (original.field) extensions.field = original.field;
    return { message: original.message, locations: formatted.locations, path: formatted.path, extensions };
  }
  // GraphQL's own errors (a bad query, a wrong variable) already carry a code and a safe message;
  // a scalar that refuses a literal says so with its own code (BAD_USER_INPUT) inside a validation error.
  if (original instanceof GraphQLError) return { ...formatted, extensions: { ...formatted.extensions, code: original.extensions.code ?? formatted.extensions?.code } };
  if (!original && formatted.extensions?.code) return formatted;
  return { message: 'internal error', locations: formatted.locations, path: formatted.path, extensions: { code: 'INTERNAL_SERVER_ERROR' } };
}
