import { randomUUID } from 'node:crypto';
import { Logger } from '@nestjs/common';
import { GraphQLError, type GraphQLFormattedError } from 'graphql';
import { AppError } from '#libs/contracts';
import { isTransientDatabaseError } from '#libs/event-store';

const logger = new Logger('graphql');

/** A resolver's fault, with the correlation id of the request it broke (ClientErrors wraps it so). */
export class RequestFault extends Error {
  constructor(
    readonly correlationId: string,
    readonly fault: unknown,
  ) {
    super('internal error');
  }
}

/** The caller's own mistake or refusal: one line at debug, never a stack. */
function logRefusal(formatted: GraphQLFormattedError, code: unknown, field?: string): void {
  logger.debug({ msg: `${code}: ${formatted.message}`, code, path: formatted.path?.join('.'), ...(field ? { field } : {}) });
}

/**
 * Every error leaves with a contract code in extensions.code (api/contract.graphql). The gateway's
 * database busy or away is UNAVAILABLE (safe to retry; the outage itself is logged once, by the
 * dependency watch). Faults the caller cannot act on leave as INTERNAL_SERVER_ERROR without their
 * details, but with the correlation id (extensions.correlationId) under which they are logged with their stack.
 */
export function formatGraphqlError(formatted: GraphQLFormattedError, error: unknown): GraphQLFormattedError {
  const original = (error as { originalError?: unknown })?.originalError;
  if (original instanceof AppError && original.code !== 'INTERNAL') {
    const extensions: Record<string, unknown> = { code: original.code };
    if (original.field) extensions.field = original.field;
    logRefusal(formatted, original.code, original.field);
    return { message: original.message, locations: formatted.locations, path: formatted.path, extensions };
  }
  // GraphQL's own errors (a bad query, a wrong variable) already carry a code and a safe message;
  // a scalar that refuses a literal says so with its own code (BAD_USER_INPUT) inside a validation error.
  if (original instanceof GraphQLError) {
    const code = original.extensions.code ?? formatted.extensions?.code;
    logRefusal(formatted, code);
    return { ...formatted, extensions: { ...formatted.extensions, code } };
  }
  const code = formatted.extensions?.code;
  if (!original && code && code !== 'INTERNAL_SERVER_ERROR') {
    logRefusal(formatted, code);
    return formatted;
  }
  const fault = original instanceof RequestFault ? original : undefined;
  const cause = fault ? fault.fault : (original ?? error);
  if (isTransientDatabaseError(cause)) {
    const unavailable = { message: 'the gateway\'s database is busy or away: retry', locations: formatted.locations, path: formatted.path, extensions: { code: 'UNAVAILABLE' } };
    logRefusal(unavailable, 'UNAVAILABLE');
    return unavailable;
  }
  const correlationId = fault?.correlationId ?? randomUUID();
  logger.error({ msg: `internal error in ${formatted.path?.join('.') ?? 'a request'}`, correlationId, err: cause });
  return { message: 'internal error', locations: formatted.locations, path: formatted.path, extensions: { code: 'INTERNAL_SERVER_ERROR', correlationId } };
}
