import type { IncomingMessage, ServerResponse } from 'node:http';
import { Catch, HttpException, type ArgumentsHost, type LoggerService } from '@nestjs/common';
import { BaseExceptionFilter } from '@nestjs/core';
import { AppError, type ErrorCode } from '#libs/contracts';
import { RefusedRequest, type Refusal } from '../auth/request-limits.js';

export const GRAPHQL_PATH = '/graphql';

/**
 * An error answered over plain HTTP as GraphQL answers errors: in `errors`, with its code (and, for
 * bad input, the field at fault) in `extensions`.
 */
export function sendError(response: ServerResponse, status: number, error: { message: string; code: string; field?: string }, headers: Record<string, string> = {}): void {
  response.statusCode = status;
  for (const [name, value] of Object.entries(headers)) response.setHeader(name, value);
  response.setHeader('content-type', 'application/json; charset=utf-8');
  const extensions = error.field ? { code: error.code, field: error.field } : { code: error.code };
  response.end(JSON.stringify({ errors: [{ message: error.message, extensions }] }));
}

/** A refusal of the request limits, with its status and Retry-After. */
export function sendRefusal(response: ServerResponse, { status, message, code, retryAfter }: Refusal): void {
  sendError(response, status, { message, code }, { 'retry-after': String(retryAfter) });
}

/** The HTTP status of each contract code, where the gateway answers outside GraphQL (its REST endpoints). */
const STATUS: Record<ErrorCode, number> = {
  BAD_USER_INPUT: 400, UNAUTHENTICATED: 401, FORBIDDEN: 403, NOT_FOUND: 404,
  CONFLICT: 409, INSUFFICIENT_CAPACITY: 409, QUOTA_EXCEEDED: 409, UNAVAILABLE: 503, INTERNAL: 500,
};

/**
 * What a REST endpoint's work threw, answered: a caller's refusal (an AppError) with its code's
 * status, code and field, and `headers` for it, or the request limits' (RefusedRequest); any other fault logged with its stack and answered
 * 500 without its details. Once a response has begun (a streamed file), it is cut short instead.
 */
export function sendAppError(response: ServerResponse, error: unknown, logger: LoggerService, headers: (error: AppError) => Record<string, string> = () => ({})): void {
  if (response.headersSent) {
    // Too late for a status: the body ends without its last chunk, which every HTTP client reports as a failed download.
    // A client that went away chose to; anything else is worth a look.
    if ((error as { code?: string }).code !== 'ERR_STREAM_PREMATURE_CLOSE') logger.warn(`a response was cut short: ${error instanceof Error ? error.message : String(error)}`);
    response.destroy();
    return;
  }
  if (error instanceof RefusedRequest) return sendRefusal(response, error.refusal);
  if (!(error instanceof AppError) || error.code === 'INTERNAL') {
    logger.error(error instanceof Error ? error.message : String(error), error instanceof Error ? error.stack : undefined);
    return sendError(response, 500, { message: 'internal error', code: 'INTERNAL_SERVER_ERROR' });
  }
  sendError(response, STATUS[error.code], { message: error.message, code: error.code, field: error.field }, headers(error));
}

/** A header's value, the first where it was sent more than once. */
export const firstHeader = (value: string | string[] | undefined) => (Array.isArray(value) ? value[0] : value);

/** A request the GraphQL endpoint cannot read. */
const sendRequestError = (response: ServerResponse, status: number, message: string) => sendError(response, status, { message, code: 'BAD_REQUEST' });

export const isJson = (contentType: string | undefined) => contentType?.split(';')[0].trim().toLowerCase() === 'application/json';

/**
 * Only a POST of `application/json` is executed: a form or plain text is what a page on another
 * site can make a browser send without asking, and no client of this API sends one (415).
 */
export function requireJsonPosts(request: IncomingMessage, response: ServerResponse, next: () => void): void {
  if (request.method !== 'POST' || isJson(request.headers['content-type'])) return next();
  sendRequestError(response, 415, 'content-type: a GraphQL request is a POST of application/json');
}

/**
 * What goes wrong before GraphQL reads a request to its endpoint (a body that is not JSON, one
 * over the size limit) is answered with its HTTP status and a coded error; elsewhere, as Nest does.
 */
@Catch(HttpException)
export class GraphqlRequestErrors extends BaseExceptionFilter {
  override catch(exception: HttpException, host: ArgumentsHost): unknown {
    if (host.getType() !== 'http') return exception;
    const request = host.switchToHttp().getRequest<IncomingMessage>();
    if (new URL(request.url ?? '/', 'http://gateway').pathname !== GRAPHQL_PATH) return super.catch(exception, host);
    sendRequestError(host.switchToHttp().getResponse<ServerResponse>(), exception.getStatus(), `body: ${exception.message}`);
    return undefined;
  }
}
